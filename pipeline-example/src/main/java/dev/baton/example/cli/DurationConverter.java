package dev.baton.example.cli;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/**
 * Reads a DURATION flag: a number and a unit, {@code 250ms}, {@code 2s}, {@code 1.5s}, {@code 5m},
 * {@code 1h}, {@code 7d}, or ISO-8601 ({@code PT2S}). Negative values are refused.
 */
public final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    private static final Pattern SIMPLE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|h|d)");

    @Override
    public Duration convert(String value) {
        return parse(value);
    }

    /**
     * @param value the text
     * @return the duration
     * @throws CommandLine.TypeConversionException naming the accepted forms
     */
    public static Duration parse(String value) {
        String text = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
        Matcher m = SIMPLE.matcher(text);
        if (m.matches()) {
            BigDecimal amount = new BigDecimal(m.group(1));
            BigDecimal millis = switch (m.group(2)) {
                case "ms" -> amount;
                case "s" -> amount.multiply(BigDecimal.valueOf(1_000));
                case "m" -> amount.multiply(BigDecimal.valueOf(60_000));
                case "h" -> amount.multiply(BigDecimal.valueOf(3_600_000));
                default -> amount.multiply(BigDecimal.valueOf(86_400_000));
            };
            if (millis.compareTo(BigDecimal.valueOf(365L * 24 * 3_600_000)) > 0) {
                throw new CommandLine.TypeConversionException("'" + value + "' is longer than a year");
            }
            return Duration.ofMillis(millis.longValue());
        }
        if (text.startsWith("pt")) {
            try {
                Duration d = Duration.parse(text.toUpperCase(Locale.ROOT));
                if (!d.isNegative()) {
                    return d;
                }
            } catch (DateTimeParseException e) {
                // falls through to the message below
            }
        }
        throw new CommandLine.TypeConversionException("'" + value
                + "' is not a duration: use a number and a unit (ms, s, m, h, d), such as 250ms, 2s, 1.5m or 7d");
    }
}
