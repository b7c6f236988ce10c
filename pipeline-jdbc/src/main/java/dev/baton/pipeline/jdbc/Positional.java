package dev.baton.pipeline.jdbc;

import java.util.ArrayList;
import java.util.List;

/**
 * A whole statement of {@link SqlText} with its named parameters ({@code :name}) turned into JDBC's {@code ?}, once,
 * when a store is built, and the name of each {@code ?} in order: a name used twice takes two positions. A cast
 * {@code ::type} and the text of a quoted literal ({@code ':shards'}) are left as they are.
 *
 * @param text the statement with {@code ?} for each parameter
 * @param names the parameter of each {@code ?}, in order
 */
record Positional(String text, List<String> names) {
    Positional {
        names = List.copyOf(names);
    }

    /** @return {@code named} with its parameters by position */
    static Positional of(String named) {
        StringBuilder text = new StringBuilder(named.length());
        List<String> names = new ArrayList<>();
        int i = 0;
        while (i < named.length()) {
            char c = named.charAt(i);
            if (c == '\'') {
                int end = named.indexOf('\'', i + 1);
                if (end < 0) {
                    throw new IllegalArgumentException("unterminated literal in: " + named);
                }
                text.append(named, i, end + 1);
                i = end + 1;
            } else if (c == ':' && i + 1 < named.length() && named.charAt(i + 1) == ':') {
                text.append("::");
                i += 2;
            } else if (c == ':' && i + 1 < named.length() && isNameStart(named.charAt(i + 1))) {
                int end = i + 1;
                while (end < named.length() && isNamePart(named.charAt(end))) {
                    end++;
                }
                names.add(named.substring(i + 1, end));
                text.append('?');
                i = end;
            } else {
                text.append(c);
                i++;
            }
        }
        return new Positional(text.toString(), names);
    }

    private static boolean isNameStart(char c) {
        return c >= 'a' && c <= 'z' || c == '_';
    }

    private static boolean isNamePart(char c) {
        return isNameStart(c) || c >= '0' && c <= '9';
    }
}
