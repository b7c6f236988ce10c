/**
 * Baton's signed fire-and-forget HTTP trigger and the endpoint that runs a stage per request
 * ({@code dev.baton.pipeline.http}). resilience4j is an automatic module.
 */
module dev.baton.pipeline.http {
    requires transitive dev.baton.pipeline;
    requires transitive java.net.http;
    requires transitive jdk.httpserver;
    requires io.github.resilience4j.core;
    requires io.github.resilience4j.retry;

    exports dev.baton.pipeline.http;
}
