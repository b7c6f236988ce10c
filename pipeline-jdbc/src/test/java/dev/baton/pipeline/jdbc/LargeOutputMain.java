package dev.baton.pipeline.jdbc;

import dev.baton.pipeline.spi.BatchRecord;
import dev.baton.pipeline.spi.StageStats;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A process for {@link LargeOutputTest}: writes an output of the given size through {@link JdbcStageStore},
 * drops it, reads it back and compares digests, so that the heap it runs in bounds what the store may hold.
 * Prints {@code ROUND TRIP OK <digest>} and exits 0 on success.
 */
public final class LargeOutputMain {
    private LargeOutputMain() {}

    /**
     * @param args JDBC URL of a migrated schema, output size in characters
     * @throws Exception when the database fails
     */
    public static void main(String[] args) throws Exception {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setURL(args[0]);
        int size = Integer.parseInt(args[1]);
        JdbcStageStore store = JdbcStageStore.builder(ds).build();
        store.create(1, "setup");
        BatchRecord claim =
                store.claim(1, "setup", "large", Duration.ofMinutes(5)).orElseThrow();

        String json = generate(size);
        String written = digest(json);
        if (!store.advance(claim, json, "extraction", StageStats.NONE)) {
            throw new IllegalStateException("advance lost its claim");
        }
        json = null;
        String back = store.readOutput(1, "setup").orElseThrow();
        String read = digest(back);
        if (back.length() != size || !read.equals(written)) {
            System.out.println(
                    "MISMATCH length " + back.length() + " of " + size + ", digest " + read + " instead of " + written);
            System.exit(2);
        }
        System.out.println("ROUND TRIP OK " + read);
    }

    /** {@code {"items":["item-0",…]}} padded to exactly {@code size} characters, ASCII. */
    static String generate(int size) {
        StringBuilder b = new StringBuilder(size);
        b.append("{\"items\":[");
        for (int i = 0; b.length() + 20 < size - 2; i++) {
            b.append(i == 0 ? "" : ",").append("\"item-").append(i).append('"');
        }
        b.append(",\"");
        while (b.length() < size - 3) {
            b.append('x');
        }
        return b.append("\"]}").toString();
    }

    static String digest(String text) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        for (int from = 0; from < text.length(); from += 1 << 16) {
            sha.update(text.substring(from, Math.min(text.length(), from + (1 << 16)))
                    .getBytes(StandardCharsets.UTF_8));
        }
        return HexFormat.of().formatHex(sha.digest());
    }
}
