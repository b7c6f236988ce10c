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
    final SignatureVerifier verifier =
            SignatureVerifier.builder().secret(SECRET).clock(clock).build();

    static RequestSigner signer(String secret) {
        return RequestSigner.builder().secret(secret).build();
    }

    /** @return a builder of a verifier of {@link #SECRET} */
    static SignatureVerifier.Builder verifier() {
        return SignatureVerifier.builder().secret(SECRET);
    }

    @Test
    void signatureMatchesOpensslForTheSameInput() {
        // printf '%s.%s' 1700000000 '{"batchId":123}' | openssl dgst -sha256 -hmac baton-test-secret-0123456789 -hex
        assertThat(signer(SECRET).sign(BODY, T))
                .isEqualTo("t=1700000000,v1=05f01ee1f1595601d1be448a6049948455482fb7bb77cfacd2eb11656e942493");
    }

    @Test
    void signWithClockUsesItsUnixSeconds() {
        assertThat(signer(SECRET).sign(BODY, clock)).isEqualTo(signer(SECRET).sign(BODY, T));
    }

    @Test
    void acceptsItsOwnSignature() {
        assertThat(verifier.verify(signer(SECRET).sign(BODY, T), BODY)).isEqualTo(Result.VALID);
    }

    @Test
    void acceptsTimestampsExactlyAtTheToleranceEitherWay() {
        RequestSigner signer = signer(SECRET);
        assertThat(verifier.verify(signer.sign(BODY, T - 300), BODY)).isEqualTo(Result.VALID);
        assertThat(verifier.verify(signer.sign(BODY, T + 300), BODY)).isEqualTo(Result.VALID);
        assertThat(verifier.verify(signer.sign(BODY, T - 301), BODY)).isEqualTo(Result.OUTSIDE_TOLERANCE);
        assertThat(verifier.verify(signer.sign(BODY, T + 301), BODY)).isEqualTo(Result.OUTSIDE_TOLERANCE);
    }

    @Test
    void aValidSignatureExpiresWhenTheClockMovesOn() {
        String header = signer(SECRET).sign(BODY, clock);
        clock.advance(Duration.ofSeconds(301));
        assertThat(verifier.verify(header, BODY)).isEqualTo(Result.OUTSIDE_TOLERANCE);
    }

    @Test
    void rejectsAnotherSecretAndAChangedBody() {
        assertThat(verifier.verify(signer("another-secret-0123456789").sign(BODY, T), BODY))
                .isEqualTo(Result.MISMATCH);
        byte[] changed = "{\"batchId\":124}".getBytes(StandardCharsets.UTF_8);
        assertThat(verifier.verify(signer(SECRET).sign(BODY, T), changed)).isEqualTo(Result.MISMATCH);
    }

    @Test
    void acceptsThePreviousSecretDuringARotationAndNothingElse() {
        String previous = "the-previous-secret-0123456789";
        SignatureVerifier rotating =
                verifier().previousSecret(previous).clock(clock).build();
        assertThat(rotating.verify(signer(previous).sign(BODY, T), BODY)).isEqualTo(Result.VALID);
        assertThat(rotating.verify(signer(SECRET).sign(BODY, T), BODY)).isEqualTo(Result.VALID);
        assertThat(rotating.verify(signer("a-third-secret-0123456789").sign(BODY, T), BODY))
                .isEqualTo(Result.MISMATCH);
        assertThat(verifier.verify(signer(previous).sign(BODY, T), BODY)).isEqualTo(Result.MISMATCH);
    }

    @Test
    void acceptsAnyMatchingV1AmongSeveralAndIgnoresOtherSchemes() {
        String good = signer(SECRET).sign(BODY, T);
        String v1 = good.substring(good.indexOf("v1="));
        assertThat(verifier.verify("t=" + T + ",v1=" + "00".repeat(32) + "," + v1 + ",v0=whatever", BODY))
                .isEqualTo(Result.VALID);
        assertThat(verifier.verify(v1 + ",t=" + T, BODY)).isEqualTo(Result.VALID);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "garbage",
                "t=1700000000",
                "v1=05f01ee1f1595601d1be448a6049948455482fb7bb77cfacd2eb11656e942493",
                "t=abc,v1=05f01ee1f1595601d1be448a6049948455482fb7bb77cfacd2eb11656e942493",
                "t=-1,v1=05f01ee1f1595601d1be448a6049948455482fb7bb77cfacd2eb11656e942493",
                "t=1700000000,v1=05f01ee1",
                "t=1700000000,v1=zzf01ee1f1595601d1be448a6049948455482fb7bb77cfacd2eb11656e942493",
                "t=1700000000,t=1700000000,v1=05f01ee1f1595601d1be448a6049948455482fb7bb77cfacd2eb11656e942493",
                "t=1700000000,v1=05f01ee1f1595601d1be448a6049948455482fb7bb77cfacd2eb11656e942493,",
                "t=99999999999999999999,v1=05f01ee1f1595601d1be448a6049948455482fb7bb77cfacd2eb11656e942493"
            })
    void rejectsMalformedHeaders(String header) {
        assertThat(verifier.verify(header, BODY)).isEqualTo(Result.MALFORMED);
    }

    @Test
    void rejectsMissingOversizedAndRepeatedHeaders() {
        String good = signer(SECRET).sign(BODY, T);
        assertThat(verifier.verify((String) null, BODY)).isEqualTo(Result.MISSING);
        assertThat(verifier.verify(" ", BODY)).isEqualTo(Result.MISSING);
        assertThat(verifier.verify(List.of(), BODY)).isEqualTo(Result.MISSING);
        assertThat(verifier.verify(List.of(good), BODY)).isEqualTo(Result.VALID);
        assertThat(verifier.verify(List.of(good, good), BODY)).isEqualTo(Result.MALFORMED);
        assertThat(verifier.verify(good + ",x=" + "a".repeat(2000), BODY)).isEqualTo(Result.MALFORMED);
    }

    @Test
    void refusesShortOrMissingSecretsAndNamesTheSetting() {
        assertThatThrownBy(() -> RequestSigner.builder().secret("short"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("PIPELINE_SIGNING_SECRET")
                .hasMessageContaining("at least 16");
        assertThatThrownBy(() -> RequestSigner.builder().secret(null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not set");
        assertThatThrownBy(() -> SignatureVerifier.builder().secret(SECRET).previousSecret("short"))
                .hasMessageContaining("PIPELINE_SIGNING_SECRET_PREVIOUS");
        assertThatThrownBy(() -> SignatureVerifier.builder().secret(SECRET).tolerance(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("tolerance");
    }

    @Test
    void readsCurrentAndPreviousSecretsFromTheEnvironmentWhenNoneIsGiven() {
        String previous = "the-previous-secret-0123456789";
        Map<String, String> env =
                Map.of("PIPELINE_SIGNING_SECRET", SECRET, "PIPELINE_SIGNING_SECRET_PREVIOUS", previous);
        SignatureVerifier fromEnv =
                SignatureVerifier.builder().environment(env::get).clock(clock).build();
        assertThat(fromEnv.verify(signer(previous).sign(BODY, T), BODY)).isEqualTo(Result.VALID);
        assertThat(fromEnv.verify(signer(SECRET).sign(BODY, T), BODY)).isEqualTo(Result.VALID);
        assertThatThrownBy(() -> SignatureVerifier.builder()
                        .environment(Map.<String, String>of()::get)
                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("PIPELINE_SIGNING_SECRET");
        RequestSigner envSigner = RequestSigner.builder().environment(env::get).build();
        assertThat(envSigner.sign(BODY, T)).isEqualTo(signer(SECRET).sign(BODY, T));
    }

    @Test
    void aSecretGivenInCodeIgnoresThePreviousSecretOfTheEnvironment() {
        String previous = "the-previous-secret-0123456789";
        Map<String, String> env = Map.of(
                "PIPELINE_SIGNING_SECRET", "the-env-secret-0123456789", "PIPELINE_SIGNING_SECRET_PREVIOUS", previous);
        SignatureVerifier given = SignatureVerifier.builder()
                .secret(SECRET)
                .environment(env::get)
                .clock(clock)
                .build();
        assertThat(given.verify(signer(SECRET).sign(BODY, T), BODY)).isEqualTo(Result.VALID);
        assertThat(given.verify(signer(previous).sign(BODY, T), BODY)).isEqualTo(Result.MISMATCH);
        assertThat(given.verify(signer("the-env-secret-0123456789").sign(BODY, T), BODY))
                .isEqualTo(Result.MISMATCH);
    }
}
