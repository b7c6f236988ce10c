package dev.baton.example.stages;

/**
 * What persistence wrote.
 *
 * @param screenshots analysis rows written (inserted or updated)
 * @param batchStatus the host batch's status afterwards
 */
public record PersistenceOutput(int screenshots, String batchStatus) {}
