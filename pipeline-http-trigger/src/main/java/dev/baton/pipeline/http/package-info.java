/**
 * Stages over HTTP: {@link dev.baton.pipeline.http.HttpTrigger} sends signed, fire-and-forget stage
 * requests; {@link dev.baton.pipeline.http.StageEndpoint} receives them (and the start, status and
 * health requests) independent of any web framework; {@link dev.baton.pipeline.http.StageHttpServer}
 * serves the endpoint on the JDK's HTTP server. {@link dev.baton.pipeline.http.RequestSigner} and
 * {@link dev.baton.pipeline.http.SignatureVerifier} implement the {@code X-Pipeline-Signature} scheme;
 * {@link dev.baton.pipeline.http.BaseUrl} resolves where requests go.
 */
package dev.baton.pipeline.http;
