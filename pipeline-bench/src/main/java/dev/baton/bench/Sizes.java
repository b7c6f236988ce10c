package dev.baton.bench;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Byte sizes as people write them: {@code 1KB}, {@code 1MB}, {@code 20MB} (binary units), or plain bytes. */
final class Sizes {
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(B|KB|KIB|MB|MIB|GB|GIB)?");

    private Sizes() {}

    /**
     * @param text e.g. {@code 1KB}, {@code 20MB}, {@code 512}
     * @return bytes
     * @throws IllegalArgumentException on anything else, or a size over 1 GiB or under 1 byte
     */
    static int parse(String text) {
        Matcher m = SIZE.matcher(text.trim().toUpperCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException(
                    "'" + text + "' is not a size: write e.g. 1KB, 1MB, 20MB or a number of bytes");
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "B" : m.group(2);
        long bytes = switch (unit) {
            case "KB", "KIB" -> n * 1024;
            case "MB", "MIB" -> n * 1024 * 1024;
            case "GB", "GIB" -> n * 1024 * 1024 * 1024;
            default -> n;
        };
        if (bytes < 1 || bytes > 1024L * 1024 * 1024) {
            throw new IllegalArgumentException("size " + text + " is out of range: 1 byte to 1GB");
        }
        return (int) bytes;
    }

    /**
     * @param bytes a size
     * @return the shortest exact form: {@code 20MB}, {@code 1KB}, {@code 1000B}
     */
    static String format(long bytes) {
        if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) == 0) {
            return bytes / (1024 * 1024) + "MB";
        }
        if (bytes >= 1024 && bytes % 1024 == 0) {
            return bytes / 1024 + "KB";
        }
        return bytes + "B";
    }

    /**
     * @param bytes a size, not negative
     * @return it for a reader: {@code 0 B}, {@code 824 B}, {@code 56 KiB}, {@code 1.4 MiB}, {@code 212 MiB}
     */
    static String readable(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        if (bytes < 1024 * 1024) {
            return String.format(Locale.ROOT, "%.0f KiB", bytes / 1024.0);
        }
        double mib = bytes / (1024.0 * 1024.0);
        return String.format(Locale.ROOT, mib < 10 ? "%.1f MiB" : "%.0f MiB", mib);
    }
}
