package dev.baton.pipeline.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;

/** A sweep failing the same way every interval is logged once, with its stack trace, not once per interval. */
class RepeatedFailureLogTest {
    final RecordingLogger logger = new RecordingLogger();
    final RepeatedFailureLog log = new RepeatedFailureLog(logger, "sweep");
    final Duration interval = Duration.ofSeconds(10);

    static RuntimeException timeout(int millis) {
        return new IllegalStateException(
                "Connection is not available, request timed out after " + millis + "ms",
                new SQLException("The connection attempt failed."));
    }

    @Test
    void the_same_failure_again_is_logged_once_at_warn_then_at_debug_whatever_numbers_its_message_holds() {
        log.failed(timeout(30001), interval);
        log.failed(timeout(30004), interval);
        log.failed(timeout(29998), interval);

        assertThat(logger.levels()).containsExactly(Level.WARN, Level.DEBUG, Level.DEBUG);
        assertThat(logger.entries.get(0).thrown())
                .as("the first one has its stack trace")
                .isNotNull();
        assertThat(logger.entries.get(0).message())
                .contains("sweep failed")
                .contains("request timed out after 30001ms")
                .contains("DEBUG");
        assertThat(logger.entries.get(2).message()).contains("3 in a row");
    }

    @Test
    void a_different_failure_is_logged_at_warn_again() {
        log.failed(timeout(30001), interval);
        log.failed(new IllegalStateException("relation \"batch_processing_queue\" does not exist"), interval);
        log.failed(timeout(30001), interval);

        assertThat(logger.levels()).containsExactly(Level.WARN, Level.WARN, Level.WARN);
    }

    @Test
    void the_first_success_after_failures_says_sweeping_works_again_and_later_ones_say_nothing() {
        log.succeeded();
        log.failed(timeout(30001), interval);
        log.failed(timeout(30001), interval);
        log.succeeded();
        log.succeeded();
        log.failed(timeout(30001), interval);

        assertThat(logger.levels()).containsExactly(Level.WARN, Level.DEBUG, Level.INFO, Level.WARN);
        assertThat(logger.entries.get(2).message()).isEqualTo("sweep works again after 2 failed attempt(s)");
    }

    record Entry(Level level, String message, Throwable thrown) {}

    /** Keeps what is logged. */
    static final class RecordingLogger extends LegacyAbstractLogger {
        final List<Entry> entries = new ArrayList<>();

        List<Level> levels() {
            return entries.stream().map(Entry::level).toList();
        }

        @Override
        protected String getFullyQualifiedCallerName() {
            return null;
        }

        @Override
        protected void handleNormalizedLoggingCall(
                Level level, Marker marker, String pattern, Object[] arguments, Throwable thrown) {
            entries.add(new Entry(level, MessageFormatter.basicArrayFormat(pattern, arguments), thrown));
        }

        @Override
        public boolean isTraceEnabled() {
            return true;
        }

        @Override
        public boolean isDebugEnabled() {
            return true;
        }

        @Override
        public boolean isInfoEnabled() {
            return true;
        }

        @Override
        public boolean isWarnEnabled() {
            return true;
        }

        @Override
        public boolean isErrorEnabled() {
            return true;
        }
    }
}
