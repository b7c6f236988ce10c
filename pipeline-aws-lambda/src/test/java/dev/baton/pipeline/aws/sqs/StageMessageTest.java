package dev.baton.pipeline.aws.sqs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The body of a stage message, with and without a shard. */
class StageMessageTest {

    @Test
    void a_stage_message_has_no_shard_field_and_a_shard_message_has_one() {
        assertThat(new StageMessage(12, "setup").body()).isEqualTo("{\"batchId\":12,\"stage\":\"setup\"}");
        assertThat(new StageMessage(12, "annotation", 3).body())
                .isEqualTo("{\"batchId\":12,\"stage\":\"annotation\",\"shard\":3}");
        assertThat(StageMessage.parse("{\"batchId\":12,\"stage\":\"annotation\",\"shard\":3}"))
                .contains(new StageMessage(12, "annotation", 3));
        assertThat(StageMessage.parse("{\"batchId\":12,\"stage\":\"setup\"}"))
                .hasValueSatisfying(m -> assertThat(m.hasShard()).isFalse());
        assertThat(new StageMessage(12, "annotation", 0).describe()).isEqualTo("batch 12 stage annotation shard 0");
    }

    @ParameterizedTest
    @ValueSource(strings = {"-1", "1.5", "\"2\"", "null", "true", "2147483648", "[1]"})
    void a_message_with_a_bad_shard_is_not_a_stage_message(String shard) {
        assertThat(StageMessage.parse("{\"batchId\":12,\"stage\":\"annotation\",\"shard\":" + shard + "}"))
                .isEmpty();
    }

    @Test
    void a_negative_shard_other_than_none_is_refused() {
        assertThatThrownBy(() -> new StageMessage(12, "annotation", -2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("batch 12 stage annotation");
    }
}
