package dev.baton.example.demo;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.FileAppender;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * Sends the log to a file while the demo draws its progress bar, and puts the console back
 * afterwards. Works when logback is the SLF4J binding; otherwise it leaves logging alone.
 */
public final class DemoLog implements AutoCloseable {
    private final Logger root;
    private final List<Appender<ILoggingEvent>> detached;
    private final FileAppender<ILoggingEvent> file;
    private final Level level;

    private DemoLog(
            Logger root, List<Appender<ILoggingEvent>> detached, FileAppender<ILoggingEvent> file, Level level) {
        this.root = root;
        this.detached = detached;
        this.file = file;
        this.level = level;
    }

    /**
     * @param path the log file
     * @return the redirection; close it to undo
     */
    public static DemoLog redirectTo(Path path) {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return new DemoLog(null, List.of(), null, null);
        }
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern(
                "%d{HH:mm:ss.SSS} %-5level %-22logger{0} [%thread] %X{batchId} %X{stage} %X{attempt} %msg%n");
        encoder.start();
        FileAppender<ILoggingEvent> file = new FileAppender<>();
        file.setContext(context);
        file.setName("demo-file");
        file.setFile(path.toString());
        file.setEncoder(encoder);
        file.start();
        List<Appender<ILoggingEvent>> detached = new ArrayList<>();
        for (Iterator<Appender<ILoggingEvent>> it = root.iteratorForAppenders(); it.hasNext(); ) {
            detached.add(it.next());
        }
        detached.forEach(root::detachAppender);
        root.addAppender(file);
        Level before = root.getLevel();
        root.setLevel(Level.INFO);
        return new DemoLog(root, detached, file, before);
    }

    @Override
    public void close() {
        if (root == null) {
            return;
        }
        root.detachAppender(file);
        file.stop();
        detached.forEach(root::addAppender);
        root.setLevel(level);
    }
}
