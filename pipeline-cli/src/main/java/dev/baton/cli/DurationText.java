package dev.baton.cli;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/**
 * Reads a DURATION: whole numbers with units, {@code 7d}, {@code 12h}, {@code 30m}, {@code 45s}, {@code 250ms},
 * combined as {@code 1d12h}; or ISO-8601, {@code P7D}, {@code PT12H}. Negative durations are refused.
 */
final class DurationText implements CommandLine.ITypeConverter<Duration> {
    private static final Pattern WHOLE = Pattern.compile("(?:\\d+(?:ms|d|h|m|s))+");
    private static final Pattern PART = Pattern.compile("(\\d+)(ms|d|h|m|s)");

    @Override
    public Duration convert(String value) {
        return parse(value);
    }

    /**
     * @param value the text
     * @return the duration
     * @throws CommandLine.TypeConversionException naming the accepted forms
     */
    static Duration parse(String value) {
        String text = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
        try {
            if (WHOLE.matcher(text).matches()) {
                Duration total = Duration.ZERO;
                Matcher m = PART.matcher(text);
                while (m.find()) {
                    long n = Long.parseLong(m.group(1));
                    total = total.plus(
                            switch (m.group(2)) {
                                case "d" -> Duration.ofDays(n);
                                case "h" -> Duration.ofHours(n);
                                case "m" -> Duration.ofMinutes(n);
                                case "s" -> Duration.ofSeconds(n);
                                default -> Duration.ofMillis(n);
                            });
                }
                return total;
            }
            if (text.startsWith("p")) {
                Duration d = Duration.parse(text.toUpperCase(Locale.ROOT));
                if (!d.isNegative()) {
                    return d;
                }
            }
        } catch (DateTimeParseException | ArithmeticException e) {
            // falls through to the message below
        }
        throw new CommandLine.TypeConversionException("'" + value + "' is not a duration: use whole numbers and"
                + " units (d, h, m, s, ms) such as 7d, 12h, 30m or 1d12h, or ISO-8601 such as P7D or PT12H");
    }
}
