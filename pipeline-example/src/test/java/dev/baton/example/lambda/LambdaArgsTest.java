package dev.baton.example.lambda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.baton.example.stages.StageNames;
import dev.baton.example.trial.TrialSettings;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** {@code PIPELINE_EXAMPLE_ARGS}: the trial flags of {@code serve}, {@code --fan-out} included. */
class LambdaArgsTest {
    @Test
    void takes_the_trial_flags_of_serve_with_fan_out() {
        TrialSettings t = LambdaArgs.parse(
                "--screenshots 12  --item-delay annotation=1500ms --fan-out annotation=4" + " --fan-out extraction=2");

        assertThat(t.screenshotsPerBatch()).isEqualTo(12);
        assertThat(t.itemDelay(StageNames.ANNOTATION)).isEqualTo(Duration.ofMillis(1500));
        assertThat(t.shards(StageNames.ANNOTATION)).isEqualTo(4);
        assertThat(t.shards(StageNames.EXTRACTION)).isEqualTo(2);
        assertThat(t.shards(StageNames.METADATA)).isEqualTo(1);
        assertThat(LambdaArgs.parse(" ").fanOut()).isEmpty();
        assertThat(LambdaArgs.parse(null).screenshotsPerBatch()).isEqualTo(TrialSettings.DEFAULT_SCREENSHOTS);
    }

    @Test
    void a_stage_that_cannot_fan_out_or_a_bad_count_names_the_variable_and_the_flag() {
        assertThatThrownBy(() -> LambdaArgs.parse("--fan-out persistence=2"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("PIPELINE_EXAMPLE_ARGS '--fan-out persistence=2'")
                .hasMessageContaining("stage persistence cannot fan out");
        assertThatThrownBy(() -> LambdaArgs.parse("--fan-out annotation=2000"))
                .hasMessageContaining("PIPELINE_EXAMPLE_ARGS")
                .hasMessageContaining("'2000' is not a shard count");
    }
}
