package dev.baton.pipeline.http;

/**
 * Checks for ASCII digits only. {@link Character#isDigit} and {@link Character#digit} also accept
 * Unicode digits (fullwidth, Arabic-Indic …), which parsers such as {@code HexFormat} then refuse
 * with an exception; header values are checked here instead. Stateless.
 */
final class Ascii {
    private Ascii() {}

    /** @return whether {@code s} is not empty and every character is {@code 0-9} */
    static boolean digits(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }

    /** @return whether {@code s} is not empty and every character is {@code 0-9}, {@code a-f} or {@code A-F} */
    static boolean hexDigits(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F')) {
                return false;
            }
        }
        return true;
    }
}
