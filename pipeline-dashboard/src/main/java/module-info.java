/**
 * Baton's operator dashboard: a framework-neutral handler ({@code Dashboard}) that serves the page,
 * its assets and its JSON API, with adapters for the JDK {@code HttpServer} and a Jakarta Servlet.
 */
module dev.baton.pipeline.dashboard {
    requires transitive dev.baton.pipeline;
    requires transitive jdk.httpserver;
    requires static jakarta.servlet;

    exports dev.baton.pipeline.dashboard;
}
