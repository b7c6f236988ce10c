package dev.baton.example.stages;

/**
 * Where a stage that works screenshot by screenshot resumes in its next invocation.
 *
 * @param next the index of the first screenshot not yet done
 * @param total how many there are
 */
public record SliceCursor(int next, int total) {}
