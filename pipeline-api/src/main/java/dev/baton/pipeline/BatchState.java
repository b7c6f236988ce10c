package dev.baton.pipeline;

import java.util.Locale;

/** The {@code status} column of {@code batch_processing_queue}. */
public enum BatchState {
    /** Waiting for its current stage to be claimed (new, advanced, retry scheduled or rescued). */
    PENDING,
    /** A worker holds a lease on the current stage. */
    IN_PROGRESS,
    /** Every stage succeeded; {@code current_stage} is {@code completed}. */
    COMPLETED,
    /** A stage failed for good; {@code current_stage} is the stage that failed. */
    FAILED,
    /** Cancelled by an operator; nothing more runs. */
    CANCELLED;

    /** @return the value stored in the {@code status} column */
    public String dbValue() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** @return {@code true} for the states a batch never leaves on its own */
    public boolean isFinal() {
        return this == COMPLETED || this == FAILED || this == CANCELLED;
    }

    /**
     * @param value a {@code status} column value
     * @return the state
     * @throws IllegalArgumentException on an unknown value
     */
    public static BatchState fromDb(String value) {
        for (BatchState s : values()) {
            if (s.dbValue().equals(value)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown batch status '" + value + "'");
    }
}
