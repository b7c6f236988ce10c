package dev.baton.example.trial;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.baton.pipeline.StageContext;
import dev.baton.pipeline.StageResult;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

class TrialSettingsTest {
    private static TrialSettings with(
            Map<String, Double> rates, Set<String> always, int attempts, Duration lease, int screenshots) {
        return new TrialSettings(
                Map.of(), Map.of(), rates, always, Duration.ofSeconds(5), attempts, lease, screenshots, 0);
    }

    @Test
    void refuses_values_out_of_range_naming_the_flag() {
        assertThatThrownBy(() -> with(Map.of("extraction", 1.2), Set.of(), 3, Duration.ofSeconds(1), 1))
                .hasMessageContaining("--fail-rate");
        assertThatThrownBy(() -> with(Map.of("nope", 0.2), Set.of(), 3, Duration.ofSeconds(1), 1))
                .hasMessageContaining("unknown stage 'nope'");
        assertThatThrownBy(() -> with(Map.of(), Set.of("later"), 3, Duration.ofSeconds(1), 1))
                .hasMessageContaining("--fail-always");
        assertThatThrownBy(() -> with(Map.of(), Set.of(), 0, Duration.ofSeconds(1), 1))
                .hasMessageContaining("--max-attempts");
        assertThatThrownBy(() -> with(Map.of(), Set.of(), 3, Duration.ofMillis(50), 1))
                .hasMessageContaining("--lease");
        assertThatThrownBy(() -> with(Map.of(), Set.of(), 3, Duration.ofSeconds(1), 1001))
                .hasMessageContaining("--screenshots");
        assertThatThrownBy(() -> new TrialSettings(
                        Map.of("setup", Duration.ofSeconds(-1)),
                        Map.of(),
                        Map.of(),
                        Set.of(),
                        Duration.ofSeconds(1),
                        3,
                        Duration.ofSeconds(1),
                        1,
                        0))
                .hasMessageContaining("--stage-delay");
    }

    /** A context that only knows its batch and attempt. */
    private record Attempt(long batchId, int attempt) implements StageContext {
        public String stage() {
            return "extraction";
        }

        public Instant deadline() {
            return Instant.MAX;
        }

        public Duration remaining() {
            return Duration.ofHours(1);
        }

        public <T> T output(String stage, Class<T> type) {
            throw new UnsupportedOperationException();
        }

        public <T> Optional<T> input(Class<T> type) {
            return Optional.empty();
        }

        public <T> Optional<T> cursor(Class<T> type) {
            return Optional.empty();
        }

        public <T> Optional<T> partialOutput(Class<T> type) {
            return Optional.empty();
        }

        public Logger log() {
            return LoggerFactory.getLogger(TrialSettingsTest.class);
        }
    }

    @Test
    void a_fail_rate_fails_about_that_share_of_attempts_and_the_same_ones_every_time() throws Exception {
        FaultInjectingStage stage =
                new FaultInjectingStage("extraction", c -> StageResult.done("ok"), Duration.ZERO, 0.3, false, 42);
        int failed = 0;
        for (long batch = 1; batch <= 1000; batch++) {
            boolean first = fails(stage, new Attempt(batch, 1));
            assertThat(fails(stage, new Attempt(batch, 1))).isEqualTo(first);
            failed += first ? 1 : 0;
        }
        assertThat(failed).isBetween(240, 360);
    }

    @Test
    void fail_always_names_the_stage_and_nothing_configured_leaves_the_stage_unwrapped() throws Exception {
        FaultInjectingStage always =
                new FaultInjectingStage("validation", c -> StageResult.done("ok"), Duration.ZERO, 0, true, 0);
        assertThatThrownBy(() -> always.execute(new Attempt(1, 2)))
                .isInstanceOf(InjectedFault.class)
                .hasMessageContaining("--fail-always validation")
                .hasMessageContaining("attempt 2");
        dev.baton.pipeline.Stage real = c -> StageResult.done("ok");
        assertThat(FaultInjectingStage.wrap("setup", real, TrialSettings.defaults()))
                .isSameAs(real);
    }

    private static boolean fails(FaultInjectingStage stage, StageContext context) throws Exception {
        try {
            stage.execute(context);
            return false;
        } catch (InjectedFault e) {
            return true;
        }
    }
}
