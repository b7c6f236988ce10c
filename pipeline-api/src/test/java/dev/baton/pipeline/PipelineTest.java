package dev.baton.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class PipelineTest {
    static final Stage NOOP = ctx -> StageResult.done(null);

    @Test
    void stages_keep_their_order_and_know_their_successor() {
        Pipeline p = Pipeline.builder()
                .stage("setup", NOOP)
                .stage("extraction", NOOP)
                .stage("persistence", NOOP)
                .build();
        assertThat(p.stageNames()).containsExactly("setup", "extraction", "persistence");
        assertThat(p.first().name()).isEqualTo("setup");
        assertThat(p.next("setup")).isEqualTo("extraction");
        assertThat(p.next("persistence")).isEqualTo(Pipeline.COMPLETED);
        assertThat(p.indexOf("extraction")).isEqualTo(1);
    }

    @Test
    void per_stage_settings_override_the_pipeline_defaults() {
        RetryPolicy five = RetryPolicy.exponential(5, Duration.ofSeconds(2));
        Pipeline p = Pipeline.builder()
                .budget(Duration.ofSeconds(20))
                .stage("a", NOOP)
                .stage("b", NOOP, s -> s.retry(five).budget(Duration.ofSeconds(5)))
                .build();
        assertThat(p.stage("a").budget()).isEqualTo(Duration.ofSeconds(20));
        assertThat(p.stage("a").retry().maxAttempts()).isEqualTo(RetryPolicy.DEFAULT_MAX_ATTEMPTS);
        assertThat(p.stage("b").budget()).isEqualTo(Duration.ofSeconds(5));
        assertThat(p.stage("b").retry()).isSameAs(five);
    }

    @Test
    void bad_names_and_settings_are_refused_with_the_reason() {
        assertThatThrownBy(() -> Pipeline.builder().stage("Bad Name", NOOP))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("lower-case letters");
        assertThatThrownBy(() -> Pipeline.builder().stage("../etc", NOOP)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Pipeline.builder().stage("completed", NOOP))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("reserved");
        assertThatThrownBy(() -> Pipeline.builder().stage("a", NOOP).stage("a", NOOP))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("registered twice");
        assertThatThrownBy(() -> Pipeline.builder().budget(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("budget must be positive");
        assertThatThrownBy(() -> Pipeline.builder().lease(Duration.ofMillis(10)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least 100ms");
        assertThatThrownBy(() -> Pipeline.builder().build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("at least one stage");
    }

    @Test
    void an_unknown_stage_names_the_registered_ones() {
        Pipeline p = Pipeline.builder().stage("setup", NOOP).build();
        assertThatThrownBy(() -> p.stage("annotation"))
                .isInstanceOf(UnknownStageException.class)
                .hasMessage("unknown stage 'annotation'; this pipeline has [setup]");
        assertThat(p.contains(null)).isFalse();
    }
}
