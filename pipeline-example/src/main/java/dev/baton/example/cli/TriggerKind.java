package dev.baton.example.cli;

import java.util.Arrays;
import java.util.stream.Collectors;
import picocli.CommandLine;

/** How {@code serve} hands the next stage on: the values of {@code --trigger}. */
public enum TriggerKind {
    /** Signed fire-and-forget POSTs to the app's own stage endpoints, as on a serverless platform. */
    HTTP("http"),
    /** A thread pool in this JVM. */
    IN_PROCESS("in-process"),
    /** Baton's PostgreSQL queue: workers claim due stages with FOR UPDATE SKIP LOCKED. */
    QUEUE("queue");

    private final String flag;

    TriggerKind(String flag) {
        this.flag = flag;
    }

    /** @return the value as written on the command line */
    public String flag() {
        return flag;
    }

    @Override
    public String toString() {
        return flag;
    }

    /** Reads {@code --trigger}'s value. */
    public static final class Converter implements CommandLine.ITypeConverter<TriggerKind> {
        @Override
        public TriggerKind convert(String value) {
            for (TriggerKind k : values()) {
                if (k.flag.equals(value)) {
                    return k;
                }
            }
            throw new CommandLine.TypeConversionException("'" + value + "' is not a trigger; use one of "
                    + Arrays.stream(values()).map(TriggerKind::flag).collect(Collectors.joining(", ")));
        }
    }
}
