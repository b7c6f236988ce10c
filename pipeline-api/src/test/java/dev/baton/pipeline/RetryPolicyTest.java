package dev.baton.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {

    @Test
    void attempts_are_counted_from_the_first_try() {
        RetryPolicy p = RetryPolicy.exponential(3, Duration.ofSeconds(1));
        assertThat(p.allowsRetryAfter(1)).isTrue();
        assertThat(p.allowsRetryAfter(2)).isTrue();
        assertThat(p.allowsRetryAfter(3)).isFalse();
        assertThat(RetryPolicy.none().allowsRetryAfter(1)).isFalse();
    }

    @Test
    void backoff_grows_exponentially_without_jitter() {
        RetryPolicy p = RetryPolicy.exponential(10, Duration.ofMillis(100)).withJitter(0);
        assertThat(p.backoffAfter(1)).isEqualTo(Duration.ofMillis(100));
        assertThat(p.backoffAfter(2)).isEqualTo(Duration.ofMillis(200));
        assertThat(p.backoffAfter(4)).isEqualTo(Duration.ofMillis(800));
    }

    @Test
    void jitter_stays_within_its_band_and_the_cap_holds() {
        RetryPolicy p = RetryPolicy.exponential(20, Duration.ofSeconds(1))
                .withJitter(0.5)
                .withMaxBackoff(Duration.ofSeconds(30));
        for (int i = 0; i < 200; i++) {
            assertThat(p.backoffAfter(1).toMillis()).isBetween(500L, 1500L);
            assertThat(p.backoffAfter(15).toMillis()).isLessThanOrEqualTo(45_000L);
        }
    }

    @Test
    void zero_backoff_retries_at_once() {
        assertThat(RetryPolicy.exponential(3, Duration.ZERO).backoffAfter(2)).isZero();
    }

    @Test
    void out_of_range_values_are_refused_naming_the_setting() {
        assertThatThrownBy(() -> RetryPolicy.exponential(0, Duration.ofSeconds(1)))
                .hasMessageContaining("maxAttempts");
        assertThatThrownBy(() -> RetryPolicy.exponential(3, Duration.ofSeconds(-1)))
                .hasMessageContaining("initialBackoff");
        assertThatThrownBy(() -> RetryPolicy.defaults().withMultiplier(0.5)).hasMessageContaining("multiplier");
        assertThatThrownBy(() -> RetryPolicy.defaults().withJitter(1.0)).hasMessageContaining("jitter");
        assertThatThrownBy(() -> RetryPolicy.defaults().withMaxBackoff(Duration.ofMillis(1)))
                .hasMessageContaining("maxBackoff");
    }
}
