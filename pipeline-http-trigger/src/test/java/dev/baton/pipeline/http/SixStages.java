package dev.baton.pipeline.http;

import dev.baton.pipeline.Pipeline;
import dev.baton.pipeline.RetryPolicy;
import dev.baton.pipeline.Stage;
import dev.baton.pipeline.StageResult;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Six stages as deterministic test stages: each output carries a checksum built from the
 * previous stage's output, so a lost or repeated hand-off shows in the last one.
 */
final class SixStages {
    static final List<String> NAMES =
            List.of("setup", "extraction", "annotation", "validation", "metadata", "persistence");

    /** A stage's output. */
    record Output(String stage, long batchId, long checksum) {}

    private SixStages() {}

    static Stage stage(String name) {
        int index = NAMES.indexOf(name);
        return ctx -> {
            long previous = index == 0
                    ? ctx.batchId()
                    : ctx.output(NAMES.get(index - 1), Output.class).checksum();
            return StageResult.done(new Output(name, ctx.batchId(), previous * 31 + index + 1));
        };
    }

    static long expectedChecksum(long batchId) {
        long sum = batchId;
        for (int i = 0; i < NAMES.size(); i++) {
            sum = sum * 31 + i + 1;
        }
        return sum;
    }

    static Pipeline.Builder builder(Map<String, Stage> overrides) {
        Pipeline.Builder b = Pipeline.builder().retry(RetryPolicy.exponential(3, Duration.ZERO));
        for (String name : NAMES) {
            b.stage(name, overrides.getOrDefault(name, stage(name)));
        }
        return b;
    }

    static Pipeline pipeline() {
        return builder(Map.of()).build();
    }
}
