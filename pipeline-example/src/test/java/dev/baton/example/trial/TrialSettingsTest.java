package dev.baton.example.trial;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.baton.pipeline.FanOut;
import dev.baton.pipeline.StageContext;
import dev.baton.pipeline.StageResult;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;
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

    @Test
    void fan_out_takes_the_per_screenshot_stages_with_1_to_1024_shards_and_names_the_flag_otherwise() {
        TrialSettings d = TrialSettings.defaults();
        assertThat(d.withFanOut(Map.of("annotation", 8, "extraction", 1024)).shards("annotation"))
                .isEqualTo(8);
        assertThat(d.shards("annotation")).isEqualTo(1);
        assertThatThrownBy(() -> d.withFanOut(Map.of("annotation", 0)))
                .hasMessageContaining("--fan-out annotation=0")
                .hasMessageContaining("1..1024");
        assertThatThrownBy(() -> d.withFanOut(Map.of("metadata", 1025))).hasMessageContaining("1..1024");
        assertThatThrownBy(() -> d.withFanOut(Map.of("persistence", 2)))
                .hasMessageContaining("stage persistence cannot fan out")
                .hasMessageContaining("extraction, annotation, metadata");
        assertThatThrownBy(() -> d.withFanOut(Map.of("annotaton", 2))).hasMessageContaining("unknown stage");
    }

    @Test
    void the_faults_of_a_fanned_out_stage_wrap_each_shard_and_its_shards_fail_independently() throws Exception {
        TrialSettings trial = new TrialSettings(
                Map.of(),
                Map.of(),
                Map.of("annotation", 0.5),
                Set.of(),
                Duration.ofSeconds(5),
                3,
                Duration.ofSeconds(1),
                1,
                9L);
        UnaryOperator<FanOut.ShardWork<Integer>> around =
                FaultInjectingStage.aroundShards("annotation", trial, Integer::longValue);
        FanOut.ShardWork<Integer> work = around.apply((c, items) -> StageResult.done(items));
        Set<Boolean> outcomes = new HashSet<>();
        for (int first = 0; first < 64; first += 8) {
            List<Integer> shard = List.of(first, first + 1);
            boolean once = fails(work, shard);
            assertThat(fails(work, shard)).as("the same shard attempt again").isEqualTo(once);
            outcomes.add(once);
        }
        assertThat(outcomes)
                .as("some shards of one batch's attempt fail and some pass")
                .containsExactlyInAnyOrder(true, false);
        FanOut.ShardWork<Integer> plain = (c, items) -> StageResult.done(items);
        assertThat(FaultInjectingStage.<Integer>aroundShards("extraction", trial, Integer::longValue)
                        .apply(plain))
                .isSameAs(plain);
    }

    private static boolean fails(FanOut.ShardWork<Integer> work, List<Integer> shard) throws Exception {
        try {
            work.run(new Attempt(1, 1), shard);
            return false;
        } catch (InjectedFault e) {
            assertThat(e).hasMessageContaining("the shard from item " + shard.get(0));
            return true;
        }
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
