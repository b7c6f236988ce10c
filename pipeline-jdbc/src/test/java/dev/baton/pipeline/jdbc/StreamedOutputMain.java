package dev.baton.pipeline.jdbc;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import dev.baton.pipeline.Pipeline;
import dev.baton.pipeline.PipelineRunner;
import dev.baton.pipeline.StageResult;
import dev.baton.pipeline.testing.SynchronousTrigger;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.stream.IntStream;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A process for {@link LargeOutputTest}: a two-stage pipeline run by the {@link PipelineRunner} on
 * {@link JdbcStageStore}, in a heap much smaller than the output. Stage {@code produce} returns an
 * object that is small in memory but whose JSON is {@code items} strings of 100 characters (Jackson
 * writes the iterator as it goes); stage {@code consume} reads that output back through
 * {@code ctx.output} into a type that digests the items as Jackson parses them. Neither the runner
 * nor the store may hold the text: prints {@code STREAMED OK <items> <digest>} and exits 0 when the
 * digest read equals the digest written.
 */
public final class StreamedOutputMain {
    static final int ITEM = 100;

    private StreamedOutputMain() {}

    /** The output of {@code produce}: its items are made while Jackson writes them. */
    public record Generated(int count) {
        /** @return the items, made one by one */
        public Iterator<String> getItems() {
            return IntStream.range(0, count).mapToObj(StreamedOutputMain::item).iterator();
        }
    }

    /** The output of {@code consume}, and what {@code consume} reads {@code produce}'s output as. */
    @JsonDeserialize(using = Tally.Reader.class)
    public record Tally(long items, String digest) {
        /** Digests {@code {"count":n,"items":[...]}} token by token. */
        static final class Reader extends JsonDeserializer<Tally> {
            @Override
            public Tally deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
                MessageDigest sha = sha();
                long items = 0;
                for (JsonToken t = p.nextToken(); t != null && t != JsonToken.END_OBJECT; t = p.nextToken()) {
                    if (t == JsonToken.VALUE_STRING) {
                        sha.update(p.getText().getBytes(StandardCharsets.US_ASCII));
                        items++;
                    }
                }
                return new Tally(items, HexFormat.of().formatHex(sha.digest()));
            }
        }
    }

    static String item(int i) {
        StringBuilder b = new StringBuilder(ITEM).append("item-").append(i).append('-');
        long x = i * 0x9E3779B97F4A7C15L;
        while (b.length() < ITEM) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            b.append((char) ('a' + Math.floorMod(x, 26)));
        }
        return b.toString();
    }

    static MessageDigest sha() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * @param args JDBC URL of a migrated schema, number of items
     */
    public static void main(String[] args) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setURL(args[0]);
        int count = Integer.parseInt(args[1]);
        MessageDigest sha = sha();
        for (int i = 0; i < count; i++) {
            sha.update(item(i).getBytes(StandardCharsets.US_ASCII));
        }
        String written = HexFormat.of().formatHex(sha.digest());

        Pipeline pipeline = Pipeline.builder()
                .stage("produce", ctx -> StageResult.done(new Generated(count)))
                .stage("consume", ctx -> StageResult.done(ctx.output("produce", Tally.class)))
                .build();
        JdbcStageStore store = JdbcStageStore.builder(ds).build();
        SynchronousTrigger trigger = new SynchronousTrigger();
        try (PipelineRunner runner =
                PipelineRunner.builder(pipeline, store).trigger(trigger).build()) {
            runner.client().start(1);
            trigger.drain();
            Tally read = store.readOutput(
                            1,
                            "consume",
                            in -> new com.fasterxml.jackson.databind.ObjectMapper()
                                    .readValue(in, com.fasterxml.jackson.databind.JsonNode.class))
                    .map(n -> new Tally(n.get("items").asLong(), n.get("digest").asText()))
                    .orElseThrow();
            if (read.items() != count || !read.digest().equals(written)) {
                System.out.println("MISMATCH " + read + " instead of " + count + " items, digest " + written
                        + "; batch " + runner.client().status(1));
                System.exit(2);
            }
            System.out.println("STREAMED OK " + read.items() + " " + read.digest());
        }
    }
}
