package dev.baton.pipeline.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BatchIdBodyTest {

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "{\"batchId\":1}|1",
                "{\"batchId\": 9223372036854775807}|9223372036854775807",
                "{ \"batchId\" : 42 }|42"
            })
    void acceptsAPositiveIntegerId(String body, long expected) {
        BatchIdBody.Parsed parsed = BatchIdBody.parse(body.getBytes(StandardCharsets.UTF_8));
        assertThat(parsed.error()).isNull();
        assertThat(parsed.batchId()).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            quoteCharacter = '`',
            value = {
                "``|empty",
                "`{`|malformed JSON",
                "`{\"batchId\":1} x`|malformed JSON",
                "`{\"batchId\":1}{}`|malformed JSON",
                "`[1]`|got a JSON array",
                "`1`|got a JSON number",
                "`{}`|batchId is missing",
                "`{\"batchId\":\"x\"}`|got a string",
                "`{\"batchId\":\"1\"}`|got a string",
                "`{\"batchId\":null}`|got a null",
                "`{\"batchId\":true}`|got a boolean",
                "`{\"batchId\":1.5}`|the number 1.5",
                "`{\"batchId\":1e3}`|JSON integer",
                "`{\"batchId\":-5}`|must be positive",
                "`{\"batchId\":0}`|must be positive",
                "`{\"batchId\":99999999999999999999}`|does not fit",
                "`{\"batchId\":01}`|malformed JSON",
                "`{\"batchId\":1,\"batchId\":2}`|malformed JSON",
                "`{\"batchId\":1,\"stage\":\"x\"}`|unknown field 'stage'",
                "`{\"batchid\":1}`|unknown field 'batchid'"
            })
    void refusesAnythingElseWithTheReason(String body, String reason) {
        BatchIdBody.Parsed parsed = BatchIdBody.parse(body.getBytes(StandardCharsets.UTF_8));
        assertThat(parsed.ok()).isFalse();
        assertThat(parsed.error()).contains(reason);
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            quoteCharacter = '`',
            value = {
                "`123`|123|",
                "`0`|0|must be positive",
                "`abc`|0|positive integer",
                "`-1`|0|positive integer",
                "`99999999999999999999`|0|positive integer",
                "`9999999999999999999`|0|does not fit",
                "``|0|positive integer"
            })
    void parsesPathIds(String text, long expected, String reason) {
        BatchIdBody.Parsed parsed = BatchIdBody.parsePathId(text);
        assertThat(parsed.batchId()).isEqualTo(expected);
        if (reason == null) {
            assertThat(parsed.ok()).isTrue();
        } else {
            assertThat(parsed.error()).contains(reason);
        }
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            quoteCharacter = '`',
            value = {
                "`{\"batchId\":1}`|1|",
                "`{\"batchId\":1,\"input\":null}`|1|",
                "`{\"batchId\":2,\"input\":{}}`|2|{}",
                "`{\"input\":{\"a\":[1,2.50]},\"batchId\":3}`|3|{\"a\":[1,2.50]}"
            })
    void acceptsAStartWithOrWithoutAnObjectInput(String body, long expected, String input) {
        BatchIdBody.Parsed parsed = BatchIdBody.parseStart(body.getBytes(StandardCharsets.UTF_8));
        assertThat(parsed.error()).isNull();
        assertThat(parsed.batchId()).isEqualTo(expected);
        assertThat(parsed.input() == null ? null : parsed.input().toString()).isEqualTo(input);
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            quoteCharacter = '`',
            value = {
                "`{\"batchId\":1,\"input\":[1]}`|input must be a JSON object (or null, or left out, for none), got a",
                "`{\"batchId\":1,\"input\":\"x\"}`|got a JSON string",
                "`{\"batchId\":1,\"input\":7}`|got a JSON number",
                "`{\"batchId\":1,\"input\":false}`|got a JSON boolean",
                "`{\"batchId\":1,\"input\":{\"a\":1,\"a\":2}}`|malformed JSON",
                "`{\"batchId\":1,\"input\":{},\"stage\":\"x\"}`|unknown field 'stage'",
                "`{\"input\":{}}`|batchId is missing",
                "`{\"batchId\":0,\"input\":{}}`|must be positive"
            })
    void refusesAStartWhoseInputIsNotAnObjectOrWhoseBodyIsBad(String body, String reason) {
        BatchIdBody.Parsed parsed = BatchIdBody.parseStart(body.getBytes(StandardCharsets.UTF_8));
        assertThat(parsed.ok()).isFalse();
        assertThat(parsed.error()).contains(reason);
    }

    @Test
    void aStageRequestTakesNoInput() {
        assertThat(BatchIdBody.parse("{\"batchId\":1,\"input\":{}}".getBytes(StandardCharsets.UTF_8))
                        .error())
                .contains("unknown field 'input'");
    }

    @Test
    void startRequestParsesAsTheEndpointDoesAndHandsOutCopies() {
        String body = "{\"batchId\":4,\"input\":{\"screenshots\":3}}";
        StartRequest r = StartRequest.parse(body.getBytes(StandardCharsets.UTF_8));
        assertThat(r.batchId()).isEqualTo(4);
        assertThat(r.hasInput()).isTrue();
        r.input().orElseThrow().put("screenshots", 99);
        assertThat(r.input().orElseThrow().toString()).isEqualTo("{\"screenshots\":3}");
        assertThat(StartRequest.parse("{\"batchId\":5}".getBytes(StandardCharsets.UTF_8))
                        .input())
                .isEmpty();
        assertThatThrownBy(() -> StartRequest.parse("{\"batchId\":5,\"input\":[]}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("input must be a JSON object");
    }
}
