package dev.baton.example.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class DurationConverterTest {
    @Test
    void reads_numbers_with_units_and_iso_durations() {
        assertThat(DurationConverter.parse("250ms")).isEqualTo(Duration.ofMillis(250));
        assertThat(DurationConverter.parse("2s")).isEqualTo(Duration.ofSeconds(2));
        assertThat(DurationConverter.parse("1.5s")).isEqualTo(Duration.ofMillis(1500));
        assertThat(DurationConverter.parse("5m")).isEqualTo(Duration.ofMinutes(5));
        assertThat(DurationConverter.parse("1h")).isEqualTo(Duration.ofHours(1));
        assertThat(DurationConverter.parse(" 0s ")).isZero();
        assertThat(DurationConverter.parse("PT2S")).isEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void refuses_anything_else_and_says_what_is_accepted() {
        for (String bad : new String[] {"2", "2x", "-1s", "s", "", "1 day", "PT-2S", "9999999h"}) {
            assertThatThrownBy(() -> DurationConverter.parse(bad))
                    .as(bad)
                    .isInstanceOf(CommandLine.TypeConversionException.class);
        }
        assertThatThrownBy(() -> DurationConverter.parse("2x"))
                .hasMessageContaining("'2x' is not a duration")
                .hasMessageContaining("250ms");
    }
}
