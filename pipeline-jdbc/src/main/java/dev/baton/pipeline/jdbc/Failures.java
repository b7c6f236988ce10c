package dev.baton.pipeline.jdbc;

import dev.baton.pipeline.spi.StoreException;
import java.sql.SQLException;

/** Words for what Jdbi and the driver throw, in the {@link StoreException}s that carry it. Stateless. */
final class Failures {
    private Failures() {}

    /**
     * @param operation what was being done, naming the batch and stage ({@code "claiming stage 'x' of batch 1"})
     * @param problem what went wrong, in words
     * @param cause the exception of Jdbi or the driver
     * @return the exception to throw
     */
    static StoreException failed(String operation, String problem, Throwable cause) {
        return new StoreException(operation + " failed: " + problem, cause);
    }

    /**
     * @param e what Jdbi or the driver threw
     * @return what the database or the driver said: the first line of the first {@link SQLException} in the
     *     chain with its SQLState and what caused it (a socket timeout), or the first line of the root cause;
     *     never the statement or its arguments, which Jdbi's own message quotes
     */
    static String databaseSays(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException s) {
                String text = firstLine(String.valueOf(s.getMessage()));
                if (s.getSQLState() != null) {
                    text += " (SQLState " + s.getSQLState() + ")";
                }
                Throwable under = s.getCause();
                boolean below = under != null && !(under instanceof SQLException);
                return below ? text + ": " + firstLine(under.toString()) : text;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return firstLine(root.toString());
    }

    private static String firstLine(String text) {
        int end = text.indexOf('\n');
        return end < 0 ? text : text.substring(0, end);
    }
}
