package dev.baton.example.stages;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BatchInputTest {
    static final ObjectMapper JSON = new ObjectMapper();

    static BatchInput of(String json) throws Exception {
        return BatchInput.of(Optional.of(JSON.readTree(json)));
    }

    @Test
    void no_input_or_no_count_keeps_the_default() throws Exception {
        assertThat(BatchInput.of(Optional.<JsonNode>empty()).screenshotsOr(10)).isEqualTo(10);
        assertThat(of("{}").screenshotsOr(10)).isEqualTo(10);
        assertThat(of("{\"screenshots\":null}").screenshotsOr(10)).isEqualTo(10);
        assertThat(of("{\"screenshots\":3}").screenshotsOr(10)).isEqualTo(3);
        assertThat(of("{\"screenshots\":1000}").screenshots()).isEqualTo(1000);
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            quoteCharacter = '`',
            value = {
                "`{\"screenshots\":0}`|input.screenshots must be an integer from 1 to 1000, got 0",
                "`{\"screenshots\":1001}`|got 1001",
                "`{\"screenshots\":2.5}`|got 2.5",
                "`{\"screenshots\":\"3\"}`|got \"3\"",
                "`{\"screenshots\":99999999999}`|got 99999999999",
                "`{\"screenshot\":3}`|unknown field 'screenshot'; this example takes {\"screenshots\": <1..1000>}"
            })
    void anything_else_is_refused_with_the_field_and_the_accepted_values(String json, String message) {
        assertThatThrownBy(() -> of(json))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(message);
    }
}
