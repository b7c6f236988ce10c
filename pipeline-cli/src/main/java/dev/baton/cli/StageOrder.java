package dev.baton.cli;

import dev.baton.pipeline.BatchClient;
import dev.baton.pipeline.BatchNotFoundException;
import dev.baton.pipeline.Pipeline;
import dev.baton.pipeline.UnknownStageException;
import dev.baton.pipeline.spi.BatchRecord;
import dev.baton.pipeline.spi.StageStats;
import dev.baton.pipeline.spi.StoreException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.Option;

/**
 * The pipeline's stages in order, which the CLI does not have: a restart deletes the outputs of a stage and of
 * every later one, and only the pipeline knows which are later. Given with {@code --stages} (or
 * {@value #STAGES_VARIABLE}), they are used as they are, as {@link BatchClient} would. Otherwise they are
 * read from the batch itself: the stages whose outputs it has, in the order the database committed them (the
 * {@code created_at} of their rows, the database's clock: a linear pipeline commits its stages in order, and a
 * restart deletes the outputs it re-runs), then its current stage. That is exact for the stages the batch has
 * reached, and names none it has not: a restart from a stage it never reached needs {@code --stages}.
 */
final class StageOrder {
    /** The environment variable holding the stages, comma-separated, when {@code --stages} is not given. */
    static final String STAGES_VARIABLE = "PIPELINE_STAGES";

    private static final String REACHED = """
            SELECT stage FROM batch_processing_data WHERE batch_id = ? AND stage <> ':input'
               AND stage NOT LIKE '%:shard:%'
             GROUP BY stage ORDER BY min(created_at), stage""";

    @Option(
            names = "--stages",
            split = ",",
            paramLabel = "STAGE",
            description = "The pipeline's stage names in order, comma-separated (default: $PIPELINE_STAGES; else the"
                    + " stages the batch has reached, in the order their outputs were committed).")
    List<String> stages;

    /** Whether the names came from the operator ({@code --stages}, the environment) or from the batch. */
    record Names(List<String> names, boolean given) {}

    /** @return the stage names for {@code batch} */
    Names of(BatonCli cli, Session session, BatchRecord batch) {
        if (stages != null && !stages.isEmpty()) {
            return new Names(List.copyOf(stages), true);
        }
        String fromEnv = cli.env.apply(STAGES_VARIABLE);
        if (fromEnv != null && !fromEnv.isBlank()) {
            return new Names(Arrays.stream(fromEnv.split(",")).map(String::trim).toList(), true);
        }
        return new Names(reached(session, batch), false);
    }

    /**
     * @return a client over the stage names of batch {@code batchId}, as {@link #client} builds it
     * @throws BatchNotFoundException if the batch has no run
     */
    BatchClient clientFor(BatonCli cli, Session session, long batchId) {
        BatchRecord batch = session.store().find(batchId).orElseThrow(() -> new BatchNotFoundException(batchId));
        return client(session, of(cli, session, batch).names());
    }

    /**
     * @param names the stage names in order
     * @return a client over a pipeline of those names, whose stages never run (the CLI runs none) and with no
     *     trigger: a retried or restarted batch is due at once and waits for queue workers or a sweeper
     */
    static BatchClient client(Session session, List<String> names) {
        Pipeline.Builder pipeline = Pipeline.builder();
        for (String name : new LinkedHashSet<>(names)) {
            pipeline.stage(name, ctx -> {
                throw new IllegalStateException("the baton CLI runs no stage");
            });
        }
        return BatchClient.builder(pipeline.build(), session.store()).build();
    }

    /** @throws UnknownStageException if the batch has not reached {@code stage} and the stages were not given */
    static void requireReached(Names names, BatchRecord batch, String stage) {
        if (!names.given() && !names.names().contains(stage)) {
            throw new UnknownStageException(
                    stage,
                    "batch " + batch.batchId() + " has not reached stage '" + stage + "': it has reached "
                            + names.names() + " (in the order their outputs were committed); restart it from one"
                            + " of those, or pass --stages with the pipeline's stages in order");
        }
    }

    private static List<String> reached(Session session, BatchRecord batch) {
        Set<String> names = new LinkedHashSet<>();
        try (Connection c = session.dataSource().getConnection();
                PreparedStatement s = c.prepareStatement(REACHED)) {
            s.setLong(1, batch.batchId());
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    names.add(rs.getString(1));
                }
            }
        } catch (SQLException e) {
            throw new StoreException(
                    "reading the stages batch " + batch.batchId() + " has reached failed: " + e.getMessage(), e);
        }
        List<Map.Entry<String, StageStats>> others =
                new ArrayList<>(batch.stageStats().entrySet());
        others.sort(Comparator.comparing(
                (Map.Entry<String, StageStats> e) -> e.getValue().startedAt(),
                Comparator.nullsLast(Comparator.<Instant>naturalOrder())));
        others.forEach(e -> {
            if (!e.getKey().equals(batch.stage())) {
                names.add(e.getKey());
            }
        });
        if (!Pipeline.COMPLETED.equals(batch.stage())) {
            names.add(batch.stage());
        }
        return List.copyOf(names);
    }
}
