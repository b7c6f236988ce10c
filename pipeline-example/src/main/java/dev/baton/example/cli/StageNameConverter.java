package dev.baton.example.cli;

import dev.baton.example.stages.StageNames;
import picocli.CommandLine;

/** Reads a STAGE: one of the six stage names. */
public final class StageNameConverter implements CommandLine.ITypeConverter<String> {
    @Override
    public String convert(String value) {
        String stage = value == null ? "" : value.trim();
        if (!StageNames.ALL.contains(stage)) {
            throw new CommandLine.TypeConversionException(
                    "'" + value + "' is not a stage; the stages are " + String.join(", ", StageNames.ALL));
        }
        return stage;
    }
}
