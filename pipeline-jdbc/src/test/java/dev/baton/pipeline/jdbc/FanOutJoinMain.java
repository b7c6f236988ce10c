package dev.baton.pipeline.jdbc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.pipeline.FanOut;
import dev.baton.pipeline.Pipeline;
import dev.baton.pipeline.PipelineRunner;
import dev.baton.pipeline.StageResult;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.AbstractList;
import java.util.HexFormat;
import java.util.List;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A process for {@link LargeOutputTest}: a stage fanned out into 8 shards whose outputs, made while Jackson writes
 * them, add up to {@code items} strings of 100 characters; the join streams them into the stage's output and the
 * next stage digests it token by token, all in a heap much smaller than the text. Prints
 * {@code JOINED OK <items> <digest>} and exits 0 when the digest read equals the digest written.
 */
public final class FanOutJoinMain {
    private FanOutJoinMain() {}

    /** The items 0 to n-1, without holding them. */
    static List<Integer> indexes(int n) {
        return new AbstractList<>() {
            @Override
            public Integer get(int i) {
                return i;
            }

            @Override
            public int size() {
                return n;
            }
        };
    }

    /**
     * @param args JDBC URL of a migrated schema, number of items
     * @throws Exception when the database is unreachable
     */
    public static void main(String[] args) throws Exception {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setURL(args[0]);
        int count = Integer.parseInt(args[1]);
        MessageDigest sha = StreamedOutputMain.sha();
        for (int i = 0; i < count; i++) {
            sha.update(StreamedOutputMain.item(i).getBytes(StandardCharsets.US_ASCII));
        }
        String written = HexFormat.of().formatHex(sha.digest());

        Pipeline pipeline = Pipeline.builder()
                .stage(
                        "produce",
                        FanOut.<Integer>of(
                                        ctx -> indexes(count),
                                        (ctx, items) -> StageResult.done(items.stream()
                                                .map(StreamedOutputMain::item)
                                                .iterator()))
                                .shards(8))
                .stage("consume", ctx -> StageResult.done(ctx.output("produce", StreamedOutputMain.Tally.class)))
                .build();
        FanOutTest.HeldTrigger trigger = new FanOutTest.HeldTrigger();
        try (PipelineRunner runner = PipelineRunner.builder(
                        pipeline, JdbcStageStore.builder(ds).build())
                .trigger(trigger)
                .build()) {
            runner.client().start(1);
            trigger.drain();
            JsonNode read = new ObjectMapper()
                    .readTree(JdbcStageStore.builder(ds)
                            .build()
                            .readOutput(1, "consume")
                            .orElseThrow());
            if (read.get("items").asLong() != count
                    || !read.get("digest").asText().equals(written)) {
                System.out.println("MISMATCH " + read + " instead of " + count + " items, digest " + written
                        + "; batch " + runner.client().status(1));
                System.exit(2);
            }
            System.out.println("JOINED OK " + count + " " + written);
        }
    }
}
