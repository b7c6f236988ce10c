package dev.baton.pipeline.spi;

/** Where one shard of a fanned-out stage is; see docs/architecture.md, "Fan-out". */
public enum ShardState {
    /** Not scheduled yet: the stage's parallelism is taken; a finishing shard releases it. */
    WAITING("waiting"),
    /** Scheduled: a trigger was (or will be) fired for it; claimable from {@code runAfter} on. */
    PENDING("pending"),
    /** Claimed by one invocation, under a lease. */
    IN_PROGRESS("in_progress"),
    /** Its output is committed. */
    COMPLETED("completed"),
    /** It exhausted its retries; the batch failed with its error. */
    FAILED("failed"),
    /** Another shard failed the batch, or the batch was cancelled, before this one finished. */
    CANCELLED("cancelled");

    private final String dbValue;

    ShardState(String dbValue) {
        this.dbValue = dbValue;
    }

    /** @return the value of the shard table's {@code status} column */
    public String dbValue() {
        return dbValue;
    }

    /**
     * @param value a {@code status} column value
     * @return the state
     * @throws IllegalArgumentException if no state has it
     */
    public static ShardState fromDb(String value) {
        for (ShardState s : values()) {
            if (s.dbValue.equals(value)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown shard status '" + value + "'");
    }
}
