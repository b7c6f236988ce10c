package dev.baton.pipeline.internal;

import java.time.Duration;
import java.util.regex.Pattern;
import org.slf4j.Logger;

/**
 * Logs the failures of a task that runs again and again (a sweep every few seconds): the first failure of a
 * kind at WARN with its stack trace, the same failure again only at DEBUG, a different one at WARN again, and
 * the first success after failures at INFO. Two failures are the same when their types and messages, and those
 * of their root causes, match once digits are ignored (timings and counts in messages vary). Not thread-safe:
 * the task's one thread calls it.
 */
public final class RepeatedFailureLog {
    private static final Pattern DIGITS = Pattern.compile("[0-9]+");

    private final Logger log;
    private final String task;
    private String lastKind;
    private int failures;

    /**
     * @param log where to log
     * @param task what runs, as a noun for messages: {@code "sweep"}
     */
    public RepeatedFailureLog(Logger log, String task) {
        this.log = log;
        this.task = task;
    }

    /**
     * Logs a failed run.
     *
     * @param failure what the run threw
     * @param interval when the task runs next
     */
    public void failed(Throwable failure, Duration interval) {
        String kind = kind(failure);
        failures++;
        if (kind.equals(lastKind)) {
            log.debug(
                    "{} failed again ({} in a row), trying again in {}: {}",
                    task,
                    failures,
                    interval,
                    failure.toString());
            return;
        }
        log.warn(
                "{} failed, trying again every {}; the same failure is logged only at DEBUG from now on, until it "
                        + "changes"
                        + " or a {} succeeds: {}",
                task,
                interval,
                task,
                failure.toString(),
                failure);
        lastKind = kind;
    }

    /** Logs a successful run: at INFO when it ends a run of failures, otherwise not at all. */
    public void succeeded() {
        if (failures > 0) {
            log.info("{} works again after {} failed attempt(s)", task, failures);
        }
        failures = 0;
        lastKind = null;
    }

    private static String kind(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return describe(failure) + " / " + describe(root);
    }

    private static String describe(Throwable t) {
        String message =
                t.getMessage() == null ? "" : DIGITS.matcher(t.getMessage()).replaceAll("#");
        return t.getClass().getName() + ": " + message;
    }
}
