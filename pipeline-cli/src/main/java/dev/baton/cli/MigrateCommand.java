package dev.baton.cli;

import dev.baton.pipeline.jdbc.BatonSchema;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code migrate}: applies Baton's missing migrations ({@link BatonSchema#migrate}). */
@Command(
        name = "migrate",
        mixinStandardHelpOptions = true,
        description = "Creates or upgrades Baton's tables (idempotent; one transaction under an advisory lock).")
final class MigrateCommand implements Callable<Integer> {
    @ParentCommand
    BatonCli cli;

    @Override
    public Integer call() {
        Session session = cli.open();
        List<Integer> applied;
        try {
            applied = BatonSchema.migrate(session.dataSource());
        } catch (RuntimeException e) {
            throw new CliException(
                    Exit.DATABASE, "database", "migrating " + session.where() + " failed: " + message(e));
        }
        cli.printer()
                .done(
                        applied.isEmpty() ? "Baton's tables are up to date" : "applied Baton migrations " + applied,
                        Map.of("applied", applied));
        return Exit.OK;
    }

    private static String message(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.toString() : t.getMessage();
    }
}
