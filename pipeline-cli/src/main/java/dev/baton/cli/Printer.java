package dev.baton.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.baton.pipeline.BatchState;
import dev.baton.pipeline.BatchStatus;
import dev.baton.pipeline.spi.BatchRecord;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Prints results: aligned tables for people, or one JSON document per command for scripts (states as the
 * {@code status} column spells them, times as ISO-8601 in UTC).
 */
final class Printer {
    private static final ObjectMapper JSON = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .registerModule(new SimpleModule().addSerializer(BatchState.class, new JsonSerializer<>() {
                @Override
                public void serialize(BatchState value, JsonGenerator gen, SerializerProvider serializers)
                        throws IOException {
                    gen.writeString(value.dbValue());
                }
            }))
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

    private final PrintWriter out;
    private final boolean json;

    Printer(PrintWriter out, boolean json) {
        this.out = out;
        this.json = json;
    }

    /** One row of {@code list} and {@code stalled}: the queue row without its internals. */
    record Row(
            long batchId,
            String stage,
            BatchState state,
            int attempt,
            String error,
            Instant createdAt,
            Instant updatedAt,
            String leaseOwner,
            Instant leaseUntil,
            Instant runAfter,
            boolean hasInput) {
        static Row of(BatchRecord r) {
            return new Row(
                    r.batchId(),
                    r.stage(),
                    r.state(),
                    r.attempt(),
                    r.error(),
                    r.createdAt(),
                    r.updatedAt(),
                    r.leaseOwner(),
                    r.leaseUntil(),
                    r.runAfter(),
                    r.hasInput());
        }
    }

    /**
     * @param headline what was done, for people ({@code null} for none)
     * @param status the batch after it
     */
    void status(String headline, BatchStatus status) {
        if (json) {
            print(status);
            return;
        }
        if (headline != null) {
            out.println(headline);
        }
        out.printf(
                Locale.ROOT,
                "batch %d: %s at stage '%s', attempt %d%n",
                status.batchId(),
                status.state().dbValue(),
                status.stage(),
                status.attempt());
        line("error", status.error());
        line("created", status.createdAt());
        line("updated", status.updatedAt());
        line("run after", status.runAfter());
        if (status.leaseOwner() != null) {
            line("lease", status.leaseOwner() + " until " + status.leaseUntil());
        }
        line("input", status.hasInput() ? "yes" : "no");
        out.println();
        table(
                List.of("stage", "attempts", "invocations", "longest", "started", "finished", "shards"),
                status.stages().stream()
                        .map(s -> List.of(
                                s.name(),
                                String.valueOf(s.attempts()),
                                String.valueOf(s.invocations()),
                                s.invocations() == 0 ? "-" : s.maxInvocationMs() + "ms",
                                text(s.startedAt()),
                                text(s.finishedAt()),
                                shards(s.shards())))
                        .toList());
    }

    /** @return e.g. {@code 3/8 (2 running, 1 failed)}: completed of total; {@code -} for a stage without shards */
    static String shards(BatchStatus.Shards shards) {
        if (shards == null) {
            return "-";
        }
        String more = (shards.running() > 0 ? shards.running() + " running" : "")
                + (shards.running() > 0 && shards.failed() > 0 ? ", " : "")
                + (shards.failed() > 0 ? shards.failed() + " failed" : "");
        return shards.completed() + "/" + shards.total() + (more.isEmpty() ? "" : " (" + more + ")");
    }

    /**
     * @param rows the batches
     * @param empty what to say when there are none
     */
    void rows(List<Row> rows, String empty) {
        if (json) {
            print(rows);
            return;
        }
        if (rows.isEmpty()) {
            out.println(empty);
            return;
        }
        table(
                List.of("batch", "state", "stage", "attempt", "updated", "error"),
                rows.stream()
                        .map(r -> List.of(
                                String.valueOf(r.batchId()),
                                r.state().dbValue(),
                                r.stage(),
                                String.valueOf(r.attempt()),
                                text(r.updatedAt()),
                                shorten(r.error())))
                        .toList());
    }

    /**
     * @param human the sentence for people
     * @param fields the same as JSON fields
     */
    void done(String human, Map<String, ?> fields) {
        if (json) {
            print(fields);
        } else {
            out.println(human);
        }
    }

    /** @return an error as one JSON line */
    static String errorJson(String kind, int exitCode, String message) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("error", kind);
        m.put("exitCode", exitCode);
        m.put("message", message);
        try {
            return JSON.writeValueAsString(m);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void print(Object value) {
        try {
            out.println(JSON.writeValueAsString(value));
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void line(String label, Object value) {
        out.printf(Locale.ROOT, "  %-10s %s%n", label + ":", text(value));
    }

    private void table(List<String> header, List<List<String>> rows) {
        int[] widths = new int[header.size()];
        for (int i = 0; i < widths.length; i++) {
            widths[i] = header.get(i).length();
            for (List<String> r : rows) {
                widths[i] = Math.max(widths[i], r.get(i).length());
            }
        }
        printRow(header, widths);
        StringBuilder rule = new StringBuilder();
        for (int w : widths) {
            rule.append("-".repeat(w)).append("  ");
        }
        out.println(rule.toString().stripTrailing());
        rows.forEach(r -> printRow(r, widths));
    }

    private void printRow(List<String> cells, int[] widths) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < cells.size(); i++) {
            b.append(String.format(Locale.ROOT, "%-" + widths[i] + "s  ", cells.get(i)));
        }
        out.println(b.toString().stripTrailing());
    }

    private static String text(Object value) {
        return value == null ? "-" : value.toString();
    }

    private static String shorten(String error) {
        if (error == null) {
            return "-";
        }
        String one = error.replace('\n', ' ');
        return one.length() <= 60 ? one : one.substring(0, 59) + "…";
    }
}
