package dev.baton.pipeline.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BatchIdBodyTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{\"batchId\":1}|1",
        "{\"batchId\": 9223372036854775807}|9223372036854775807",
        "{ \"batchId\" : 42 }|42"})
    void acceptsAPositiveIntegerId(String body, long expected) {
        BatchIdBody.Parsed parsed = BatchIdBody.parse(body.getBytes(StandardCharsets.UTF_8));
        assertThat(parsed.error()).isNull();
        assertThat(parsed.batchId()).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
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
        "`{\"batchid\":1}`|unknown field 'batchid'"})
    void refusesAnythingElseWithTheReason(String body, String reason) {
        BatchIdBody.Parsed parsed = BatchIdBody.parse(body.getBytes(StandardCharsets.UTF_8));
        assertThat(parsed.ok()).isFalse();
        assertThat(parsed.error()).contains(reason);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "`123`|123|", "`0`|0|must be positive", "`abc`|0|positive integer", "`-1`|0|positive integer",
        "`99999999999999999999`|0|positive integer", "`9999999999999999999`|0|does not fit", "``|0|positive integer"})
    void parsesPathIds(String text, long expected, String reason) {
        BatchIdBody.Parsed parsed = BatchIdBody.parsePathId(text);
        assertThat(parsed.batchId()).isEqualTo(expected);
        if (reason == null) {
            assertThat(parsed.ok()).isTrue();
        } else {
            assertThat(parsed.error()).contains(reason);
        }
    }
}
