/**
 * Spring test support: {@link dev.baton.pipeline.spring.testkit.BatonPostgres} gives a cached application context
 * one embedded PostgreSQL schema, and empties Baton's tables between tests on request.
 */
package dev.baton.pipeline.spring.testkit;
