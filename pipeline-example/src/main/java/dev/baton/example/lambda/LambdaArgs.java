package dev.baton.example.lambda;

import dev.baton.example.cli.TrialOptions;
import dev.baton.example.trial.TrialSettings;
import java.util.Arrays;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

/** {@code PIPELINE_EXAMPLE_ARGS}: the trial flags of {@code serve}, parsed by the same picocli options. */
@Command(name = "PIPELINE_EXAMPLE_ARGS")
final class LambdaArgs {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    TrialOptions trial;

    private LambdaArgs() {}

    /**
     * @param args e.g. {@code --screenshots 12 --item-delay annotation=1500ms}; blank for the defaults
     * @return the trial settings
     * @throws IllegalArgumentException naming the flag when the text does not parse
     */
    static TrialSettings parse(String args) {
        LambdaArgs parsed = new LambdaArgs();
        String[] words = args == null || args.isBlank()
                ? new String[0]
                : Arrays.stream(args.trim().split("\\s+")).toArray(String[]::new);
        try {
            new CommandLine(parsed).parseArgs(words);
            return parsed.trial.toSettings(parsed.spec);
        } catch (CommandLine.ParameterException e) {
            throw new IllegalArgumentException("PIPELINE_EXAMPLE_ARGS '" + args + "': " + e.getMessage(), e);
        }
    }
}
