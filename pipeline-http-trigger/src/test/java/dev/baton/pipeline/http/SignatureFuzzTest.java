package dev.baton.pipeline.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.pipeline.http.SignatureVerifier.Result;
import dev.baton.pipeline.testing.MutableClock;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The signature header parser against a deterministic seeded fuzz and targeted hostile headers: it
 * always returns a {@link Result}, never throws, and gives exactly what a plain reference reading of
 * the format gives. Only ASCII digits and hex digits count.
 */
class SignatureFuzzTest {
    static final String SECRET = SignatureTest.SECRET;
    static final byte[] BODY = SignatureTest.BODY;
    static final long T = SignatureTest.T;
    static final String GOOD = SignatureTest.signer(SECRET).sign(BODY, T);
    static final String GOOD_MAC = GOOD.substring(GOOD.indexOf("v1=") + 3);

    final SignatureVerifier verifier = SignatureVerifier.builder()
            .secret(SECRET)
            .clock(MutableClock.at(Instant.ofEpochSecond(T)))
            .build();

    /** Characters a hostile header is made of: ASCII, separators, Unicode digits, surrogates, controls. */
    static final char[] ALPHABET =
            ("0123456789abcdefABCDEFxyzXYZ tv1=,;:-+._\t\u0000\u001f\u007f\u0085\u00a0\u00bc\u00b2\u00ff"
                            + "\uff10\uff11\uff19\uff21\uff41" // fullwidth 0, 1, 9, A, a
                            + "\u0660\u0661\u0669\u06f0\u06f9" // Arabic-Indic and extended Arabic-Indic digits
                            + "\u0966\u09e6\u1040" // Devanagari, Bengali, Myanmar digits
                            + "\ud835\udfce\ud83d\ude00\ud800\udbff\udc00\udfff" // math bold 0, an emoji, lone
                            // surrogates
                            + "\u2007\u2028\u3000\ufeff\ufffd\uffff")
                    .toCharArray();

    static final Pattern ASCII_DIGITS = Pattern.compile("[0-9]{1,12}");
    static final Pattern ASCII_MAC = Pattern.compile("[0-9a-fA-F]{64}");

    /** The format read plainly, as the reference the verifier must agree with. */
    Result reference(String header) {
        if (header == null || header.isBlank()) {
            return Result.MISSING;
        }
        if (header.length() > 1024) {
            return Result.MALFORMED;
        }
        Long t = null;
        List<String> macs = new ArrayList<>();
        for (String part : header.split(",", -1)) {
            int eq = part.indexOf('=');
            if (eq < 0) {
                return Result.MALFORMED;
            }
            String key = part.substring(0, eq).trim();
            String value = part.substring(eq + 1).trim();
            if (key.equals("t")) {
                if (t != null || !ASCII_DIGITS.matcher(value).matches()) {
                    return Result.MALFORMED;
                }
                t = Long.parseLong(value);
            } else if (key.equals("v1")) {
                if (!ASCII_MAC.matcher(value).matches()) {
                    return Result.MALFORMED;
                }
                macs.add(value.toLowerCase(java.util.Locale.ROOT));
            }
        }
        if (t == null || macs.isEmpty()) {
            return Result.MALFORMED;
        }
        if (Math.abs(t - T) > 300) {
            return Result.OUTSIDE_TOLERANCE;
        }
        String expected = SignatureTest.signer(SECRET).sign(BODY, t);
        return macs.contains(expected.substring(expected.indexOf("v1=") + 3)) ? Result.VALID : Result.MISMATCH;
    }

    Result agrees(String header) {
        Result got;
        try {
            got = verifier.verify(header, BODY);
        } catch (RuntimeException e) {
            throw new AssertionError("verify threw on " + escaped(header), e);
        }
        assertThat(got).as(escaped(header)).isEqualTo(reference(header));
        return got;
    }

    static String escaped(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder("\"");
        int shown = Math.min(s.length(), 200);
        for (int i = 0; i < shown; i++) {
            char c = s.charAt(i);
            out.append(c >= 0x20 && c < 0x7f ? String.valueOf(c) : String.format("\\u%04x", (int) c));
        }
        return out.append(s.length() > shown ? "…(" + s.length() + " chars)\"" : "\"")
                .toString();
    }

    static String randomText(Random random, int length) {
        StringBuilder s = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            s.append(
                    random.nextInt(8) == 0
                            ? (char) random.nextInt(0x10000)
                            : ALPHABET[random.nextInt(ALPHABET.length)]);
        }
        return s.toString();
    }

    /** A header built of plausible parts, some broken: the shape a parser's edge cases live in. */
    static String randomHeader(Random random) {
        int parts = random.nextInt(6);
        StringBuilder h = new StringBuilder();
        for (int p = 0; p <= parts; p++) {
            if (p > 0) {
                h.append(random.nextInt(10) == 0 ? "" : ",");
            }
            switch (random.nextInt(7)) {
                case 0 ->
                    h.append("t=")
                            .append(
                                    random.nextInt(4) == 0
                                            ? randomText(random, random.nextInt(14))
                                            : Long.toString(T + random.nextInt(700) - 350));
                case 1 -> h.append("v1=").append(mutated(random, GOOD_MAC));
                case 2 -> h.append("v1=").append(randomText(random, 62 + random.nextInt(5)));
                case 3 ->
                    h.append(randomText(random, random.nextInt(4)))
                            .append('=')
                            .append(randomText(random, random.nextInt(8)));
                case 4 -> h.append(random.nextBoolean() ? "=" : "==").append(randomText(random, random.nextInt(3)));
                case 5 -> h.append(" t = ").append(T).append(' ');
                default -> h.append(randomText(random, random.nextInt(10)));
            }
        }
        return h.toString();
    }

    /** {@code s} with one to three characters replaced, inserted or removed. */
    static String mutated(Random random, String s) {
        StringBuilder m = new StringBuilder(s);
        int changes = 1 + random.nextInt(3);
        for (int i = 0; i < changes && m.length() > 0; i++) {
            int at = random.nextInt(m.length());
            char c = ALPHABET[random.nextInt(ALPHABET.length)];
            switch (random.nextInt(3)) {
                case 0 -> m.setCharAt(at, c);
                case 1 -> m.insert(at, c);
                default -> m.deleteCharAt(at);
            }
        }
        return m.toString();
    }

    @Test
    void ten_thousand_seeded_random_headers_each_get_the_reference_verdict_and_none_throws() {
        Random random = new Random(20_261_201L);
        Map<Result, Integer> verdicts = new EnumMap<>(Result.class);
        for (int i = 0; i < 10_000; i++) {
            verdicts.merge(
                    agrees(
                            switch (i % 4) {
                                case 0 -> randomText(random, random.nextInt(90));
                                case 1 -> randomHeader(random);
                                case 2 -> mutated(random, GOOD);
                                default -> new String(randomBytes(random, random.nextInt(120)), StandardCharsets.UTF_8);
                            }),
                    1,
                    Integer::sum);
        }
        assertThat(verdicts).as("the fuzz reaches every verdict").containsOnlyKeys(Result.values());
    }

    static byte[] randomBytes(Random random, int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    @Test
    void unicode_digits_in_a_mac_or_a_timestamp_are_malformed() {
        String digits = "\uff10\u0660\u06f0\u0966\u09e6\u1040";
        for (char d : digits.toCharArray()) {
            String mac = String.valueOf(d).repeat(64);
            assertThat(verifier.verify("t=" + T + ",v1=" + mac, BODY))
                    .as(escaped(mac))
                    .isEqualTo(Result.MALFORMED);
            assertThat(verifier.verify("t=" + String.valueOf(d).repeat(10) + ",v1=" + GOOD_MAC, BODY))
                    .isEqualTo(Result.MALFORMED);
            assertThat(verifier.verify("t=" + T + ",v1=" + d + GOOD_MAC.substring(1), BODY))
                    .isEqualTo(Result.MALFORMED);
        }
        assertThat(verifier.verify("t=" + T + ",v1=" + "\uff21".repeat(64), BODY))
                .as("fullwidth A")
                .isEqualTo(Result.MALFORMED);
        assertThat(verifier.verify("t=" + T + ",v1=" + "\ud835\udfce".repeat(32), BODY))
                .as("math bold zero pairs")
                .isEqualTo(Result.MALFORMED);
        assertThat(verifier.verify("t=" + T + ",v1=" + "\ud800".repeat(64), BODY))
                .as("lone surrogates")
                .isEqualTo(Result.MALFORMED);
    }

    @Test
    void targeted_edge_cases_get_the_reference_verdict() {
        for (String header : targeted()) {
            agrees(header);
        }
    }

    /** Hostile headers worth naming: lengths at the limits, repeated keys, empty parts, '=' cases. */
    static List<String> targeted() {
        String v1 = "v1=" + GOOD_MAC;
        String t = "t=" + T;
        List<String> h = new ArrayList<>(List.of(
                GOOD,
                GOOD.toUpperCase(java.util.Locale.ROOT).replace("T=", "t=").replace("V1=", "v1="),
                t + "," + t + "," + v1,
                t + ",t=" + (T + 1) + "," + v1,
                t + (("," + v1).repeat(14)),
                t + (",v1=" + "00".repeat(32)).repeat(14),
                t + ",v1=" + GOOD_MAC.substring(1),
                t + ",v1=" + GOOD_MAC + "0",
                "t=000000000001," + v1,
                "t=0000000000001," + v1,
                "t=999999999999," + v1,
                "t=9999999999999," + v1,
                "t=," + v1,
                "t," + v1,
                "=" + T + "," + v1,
                "==",
                "=",
                ",",
                ",,,",
                t + ",," + v1,
                "," + GOOD,
                GOOD + ",",
                t + "," + v1 + ",=",
                t + "," + v1 + ",x=",
                t + ",v1==" + GOOD_MAC,
                t + "=," + v1,
                "t==" + T + "," + v1,
                " " + GOOD + " ",
                "\t" + t + "\t,\t" + v1 + "\t",
                t + ",v1= " + GOOD_MAC + " ",
                "T=" + T + "," + v1,
                t + ",V1=" + GOOD_MAC,
                t + ",v1=" + GOOD_MAC + "\u0000",
                t + ",v1=\u0000" + GOOD_MAC.substring(1),
                "t=+" + T + "," + v1,
                "t=-" + T + "," + v1,
                "t=" + T + "L," + v1,
                "t=0x10," + v1,
                "t=1e9," + v1,
                "t=" + "9".repeat(19) + "," + v1,
                "t=" + "9".repeat(4000) + "," + v1,
                "v1=" + "f".repeat(100_000)));
        String padded = GOOD + ",x=";
        h.add(padded + "a".repeat(1024 - padded.length()));
        h.add(padded + "a".repeat(1025 - padded.length()));
        h.add(GOOD + ",x=" + "a".repeat(1_000_000));
        return h;
    }
}
