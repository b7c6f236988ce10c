package dev.baton.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class DurationTextTest {
    @Test
    void days_hours_minutes_seconds_their_sums_and_iso_8601_are_read() {
        assertThat(DurationText.parse("7d")).isEqualTo(Duration.ofDays(7));
        assertThat(DurationText.parse("12h")).isEqualTo(Duration.ofHours(12));
        assertThat(DurationText.parse("30m")).isEqualTo(Duration.ofMinutes(30));
        assertThat(DurationText.parse("45s")).isEqualTo(Duration.ofSeconds(45));
        assertThat(DurationText.parse("250ms")).isEqualTo(Duration.ofMillis(250));
        assertThat(DurationText.parse("1d12h")).isEqualTo(Duration.ofHours(36));
        assertThat(DurationText.parse("0s")).isEqualTo(Duration.ZERO);
        assertThat(DurationText.parse("P7D")).isEqualTo(Duration.ofDays(7));
        assertThat(DurationText.parse("PT12H")).isEqualTo(Duration.ofHours(12));
        assertThat(DurationText.parse("pt30m")).isEqualTo(Duration.ofMinutes(30));
    }

    @Test
    void anything_else_is_refused_naming_the_forms() {
        for (String bad : new String[] {"", "7", "7x", "-1d", "1.5h", "PT-1H", "P1W", "d7"}) {
            assertThatThrownBy(() -> DurationText.parse(bad))
                    .as(bad)
                    .isInstanceOf(CommandLine.TypeConversionException.class)
                    .hasMessageContaining("7d, 12h, 30m");
        }
    }
}
