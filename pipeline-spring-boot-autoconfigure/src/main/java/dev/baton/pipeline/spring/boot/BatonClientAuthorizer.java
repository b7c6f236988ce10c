package dev.baton.pipeline.spring.boot;

import dev.baton.pipeline.http.StageEndpoint;

/**
 * Decides whether a request to the client routes ({@code POST /api/process-batch}, {@code GET /api/batches/{id}},
 * mounted with {@code baton.http.client-routes=true}) may go ahead; a refused one is answered 401. The
 * auto-configured one lets everyone through: define a bean of this type to check a session, an API key or a
 * signature.
 */
@FunctionalInterface
public interface BatonClientAuthorizer {
    /**
     * @param request the request as the endpoint sees it (method, path, headers, body)
     * @return whether it may start a batch or read one's status
     */
    boolean authorize(StageEndpoint.Request request);
}
