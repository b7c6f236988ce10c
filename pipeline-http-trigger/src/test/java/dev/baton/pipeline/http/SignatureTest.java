package dev.baton.pipeline.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.baton.pipeline.http.SignatureVerifier.Result;
import dev.baton.pipeline.testing.MutableClock;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SignatureTest {
    static final String SECRET = "baton-test-secret-0123456789";
    static final byte[] BODY = "{\"batchId\":123}".getBytes(StandardCharsets.UTF_8);
    static final long T = 1_700_000_000L;

    final MutableClock clock = MutableClock.at(Instant.ofEpochSecond(T));
    final SignatureVerifier verifier = SignatureVerifier.builder(SECRET).clock(clock).build();

    @Test
    void signatureMatchesOpensslForTheSameInput() {
        // printf '%s.%s' 1700000000 '{"batchId":123}' | openssl dgst -sha256 -hmac baton-test-secret-0123456789 -hex
        assertThat(RequestSigner.of(SECRET).sign(BODY, T))
                .isEqualTo("t=1700000000,v1=05f01ee1f1595601d1be448a6049948455482fb7bb77cfacd2eb11656e942493");
    }

    @Test
    void signWithClockUsesItsUnixSeconds() {
        assertThat(RequestSigner.of(SECRET).sign(BODY, clock)).isEqualTo(RequestSigner.of(SECRET).sign(BODY, T));
    }

    @Test
    void acceptsItsOwnSignature() {
        assertThat(verifier.verify(RequestSigner.of(SECRET).sign(BODY, T), BODY)).isEqualTo(Result.VALID);
    }

    @Test
    void acceptsTimestampsExactlyAtTheToleranceEitherWay() {
        RequestSigner signer = RequestSigner.of(SECRET);
        assertThat(verifier.verify(signer.sign(BODY, T - 300), BODY)).isEqualTo(Result.VALID);
        assertThat(verifier.verify(signer.sign(BODY, T + 300), BODY)).isEqualTo(Result.VALID);
        assertThat(verifier.verify(signer.sign(BODY, T - 301), BODY)).isEqualTo(Result.OUTSIDE_TOLERANCE);
        assertThat(verifier.verify(signer.sign(BODY, T + 301), BODY)).isEqualTo(Result.OUTSIDE_TOLERANCE);
    }

    @Test
    void aValidSignatureExpiresWhenTheClockMovesOn() {
        String header = RequestSigner.of(SECRET).sign(BODY, clock);
        clock.advance(Duration.ofSeconds(301));
        assertThat(verifier.verify(header, BODY)).isEqualTo(Result.OUTSIDE_TOLERANCE);
    }

    @Test
    void rejectsAnotherSecretAndAChangedBody() {
        assertThat(verifier.verify(RequestSigner.of("another-secret-0123456789").sign(BODY, T), BODY)).isEqualTo(Result.MISMATCH);
        byte[] changed = "{\"batchId\":124}".getBytes(StandardCharsets.UTF_8);
        assertThat(verifier.verify(RequestSigner.of(SECRET).sign(BODY, T), changed)).isEqualTo(Result.MISMATCH);
    }

    @Test
    void acceptsThePreviousSecretDuringARotationAndNothingElse() {
        String previous = "the-previous-secret-0123456789";
        SignatureVerifier rotating = SignatureVerifier.builder(SECRET).previousSecret(previous).clock(clock).build();
        assertThat(rotating.verify(RequestSigner.of(previous).sign(BODY, T), BODY)).isEqualTo(Result.VALID);
        assertThat(rotating.verify(RequestSigner.of(SECRET).sign(BODY, T), BODY)).isEqualTo(Result.VALID);
        assertThat(rotating.verify(RequestSigner.of("a-third-secret-0123456789").sign(BODY, T), BODY)).isEqualTo(Result.MISMATCH);
        assertThat(verifier.verify(RequestSigner.of(previous).sign(BODY, T), BODY)).isEqualTo(Result.MISMATCH);
    }

    @Test
    void acceptsAnyMatchingV1AmongSeveralAndIgnoresOtherSchemes() {
        String good = RequestSigner.of(SECRET).sign(BODY, T);
        String v1 = good.substring(good.indexOf("v1="));
        assertThat(verifier.verify("t=" + T + ",v1=" + "00".repeat(32) + "," + v1 + ",v0=whatever", BODY)).isEqualTo(Result.VALID);
        assertThat(verifier.verify(v1 + ",t=" + T, BODY)).isEqualTo(Result.VALID);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "garbage", "t=1700000000", "v1=05f01ee1f1595601d1be448a6049948455482fb7bb77cfacd2eb11656e942493",
        "t=abc,v1=05f01ee1f1595601d1be448a6049948455482fb7bb77cfacd2eb11656e942493",
        "t=-1,v1=05f01ee1f1595601d1be448a6049948455482fb7bb77cfacd2eb11656e942493",
        "t=1700000000,v1=05f01ee1",
        "t=1700000000,v1=zzf01ee1f1595601d1be448a6049948455482fb7bb77cfacd2eb11656e942493",
        "t=1700000000,t=1700000000,v1=05f01ee1f1595601d1be448a6049948455482fb7bb77cfacd2eb11656e942493",
        "t=1700000000,v1=05f01ee1f1595601d1be448a6049948455482fb7bb77cfacd2eb11656e942493,",
        "t=99999999999999999999,v1=05f01ee1f1595601d1be448a6049948455482fb7bb77cfacd2eb11656e942493"})
    void rejectsMalformedHeaders(String header) {
        assertThat(verifier.verify(header, BODY)).isEqualTo(Result.MALFORMED);
    }

    @Test
    void rejectsMissingOversizedAndRepeatedHeaders() {
        String good = RequestSigner.of(SECRET).sign(BODY, T);
        assertThat(verifier.verify((String) null, BODY)).isEqualTo(Result.MISSING);
        assertThat(verifier.verify(" ", BODY)).isEqualTo(Result.MISSING);
        assertThat(verifier.verify(List.of(), BODY)).isEqualTo(Result.MISSING);
        assertThat(verifier.verify(List.of(good), BODY)).isEqualTo(Result.VALID);
        assertThat(verifier.verify(List.of(good, good), BODY)).isEqualTo(Result.MALFORMED);
        assertThat(verifier.verify(good + ",x=" + "a".repeat(2000), BODY)).isEqualTo(Result.MALFORMED);
    }

    @Test
    void refusesShortOrMissingSecretsAndNamesTheSetting() {
        assertThatThrownBy(() -> RequestSigner.of("short")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("PIPELINE_SIGNING_SECRET").hasMessageContaining("at least 16");
        assertThatThrownBy(() -> RequestSigner.of(null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not set");
        assertThatThrownBy(() -> SignatureVerifier.builder(SECRET).previousSecret("short"))
                .hasMessageContaining("PIPELINE_SIGNING_SECRET_PREVIOUS");
        assertThatThrownBy(() -> SignatureVerifier.builder(SECRET).tolerance(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tolerance");
    }

    @Test
    void readsCurrentAndPreviousSecretsFromTheEnvironment() {
        String previous = "the-previous-secret-0123456789";
        Map<String, String> env = Map.of("PIPELINE_SIGNING_SECRET", SECRET, "PIPELINE_SIGNING_SECRET_PREVIOUS", previous);
        SignatureVerifier fromEnv = SignatureVerifier.fromEnvironment(env::get, clock);
        assertThat(fromEnv.verify(RequestSigner.of(previous).sign(BODY, T), BODY)).isEqualTo(Result.VALID);
        assertThat(fromEnv.verify(RequestSigner.of(SECRET).sign(BODY, T), BODY)).isEqualTo(Result.VALID);
        assertThatThrownBy(() -> SignatureVerifier.fromEnvironment(Map.<String, String>of()::get, clock))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("PIPELINE_SIGNING_SECRET");
    }
}
