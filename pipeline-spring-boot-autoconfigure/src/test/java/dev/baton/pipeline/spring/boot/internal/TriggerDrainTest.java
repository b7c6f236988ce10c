package dev.baton.pipeline.spring.boot.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.pipeline.spi.Trigger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TriggerDrainTest {
    private final List<String> fired = new ArrayList<>();

    private final Trigger recording = new Trigger() {
        @Override
        public void fire(long batchId, String stage) {
            fired.add(batchId + " " + stage + " without context");
        }

        @Override
        public void fire(long batchId, String stage, String traceContext) {
            fired.add(batchId + " " + stage + " " + traceContext);
        }

        @Override
        public void fireAfter(long batchId, String stage, Duration delay, String traceContext) {
            fired.add(batchId + " " + stage + " after " + delay.toSeconds() + "s " + traceContext);
        }

        @Override
        public void fireShard(long batchId, String stage, int shard, Duration delay, String traceContext) {
            fired.add(batchId + " " + stage + " shard " + shard + " after " + delay.toSeconds() + "s " + traceContext);
        }

        @Override
        public boolean continuesInline(String nextStage) {
            return true;
        }
    };

    @Test
    void the_wrapped_trigger_gets_the_batchs_trace_context_with_every_fire() {
        Trigger wrapped = new TriggerDrain().wrap(recording);

        wrapped.fire(7, "enrich", "00-trace-span-01");
        wrapped.fireAfter(7, "enrich", Duration.ofSeconds(3), "00-trace-span-01");
        wrapped.fireShard(7, "enrich", 4, Duration.ofSeconds(2), "00-trace-span-01");

        assertThat(fired)
                .containsExactly(
                        "7 enrich 00-trace-span-01",
                        "7 enrich after 3s 00-trace-span-01",
                        "7 enrich shard 4 after 2s 00-trace-span-01");
    }

    @Test
    void once_draining_no_stage_continues_inline() {
        TriggerDrain drain = new TriggerDrain();
        Trigger wrapped = drain.wrap(recording);
        assertThat(wrapped.continuesInline("enrich")).isTrue();

        drain.drain();

        assertThat(wrapped.continuesInline("enrich")).isFalse();
    }
}
