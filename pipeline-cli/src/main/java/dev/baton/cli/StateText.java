package dev.baton.cli;

import dev.baton.pipeline.BatchState;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;
import picocli.CommandLine;

/** Reads a batch state as the {@code status} column spells it: {@code pending}, {@code in_progress}, … */
final class StateText implements CommandLine.ITypeConverter<BatchState> {
    @Override
    public BatchState convert(String value) {
        String text = value.trim().toLowerCase(Locale.ROOT).replace('-', '_');
        for (BatchState s : BatchState.values()) {
            if (s.dbValue().equals(text)) {
                return s;
            }
        }
        throw new CommandLine.TypeConversionException("'" + value + "' is not a state: use one of "
                + Arrays.stream(BatchState.values()).map(BatchState::dbValue).collect(Collectors.joining(", ")));
    }
}
