package dev.baton.example.cli;

import dev.baton.example.trial.TrialSettings;
import picocli.CommandLine;

/** Reads the K of {@code --fan-out STAGE=K}: a whole number of shards from 1 to {@value TrialSettings#MAX_SHARDS}. */
public final class ShardCountConverter implements CommandLine.ITypeConverter<Integer> {
    @Override
    public Integer convert(String value) {
        int k;
        try {
            k = Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new CommandLine.TypeConversionException("'" + value + "' is not a shard count: use a whole number"
                    + " from 1 to " + TrialSettings.MAX_SHARDS + ", such as 8");
        }
        if (k < 1 || k > TrialSettings.MAX_SHARDS) {
            throw new CommandLine.TypeConversionException("'" + value + "' is not a shard count: it must be from 1 to "
                    + TrialSettings.MAX_SHARDS + " (1 runs the stage unsharded)");
        }
        return k;
    }
}
