/**
 * Stages over HTTP: {@link dev.baton.pipeline.http.HttpTrigger} sends signed, fire-and-forget stage
 * requests; {@link dev.baton.pipeline.http.StageEndpoint} receives them (and the start, status and
 * health requests) independent of any web framework; {@link dev.baton.pipeline.http.StageHttpServer}
 * serves the endpoint on the JDK's HTTP server; {@link dev.baton.pipeline.http.StartRequest} parses the
 * body of a start. {@link dev.baton.pipeline.http.RequestSigner} and
 * {@link dev.baton.pipeline.http.SignatureVerifier} implement the {@code X-Pipeline-Signature} scheme;
 * {@link dev.baton.pipeline.http.BaseUrl} resolves where requests go.
 *
 * <p>Wiring one service that both sends and receives stage requests: every part is built with a
 * builder that starts nothing, then started, and closed in the reverse order:
 * <pre>{@code
 * HttpTrigger trigger = HttpTrigger.builder().build();          // PIPELINE_API_URL…, PIPELINE_SIGNING_SECRET
 * PipelineRunner runner = PipelineRunner.builder(pipeline, JdbcStageStore.builder(dataSource).build())
 *         .trigger(trigger).build();
 * StageEndpoint endpoint = StageEndpoint.builder(runner, SignatureVerifier.builder().build()).build();
 * StageHttpServer server = StageHttpServer.builder(endpoint).address(new InetSocketAddress(3000)).build();
 * StallSweeper sweeper = runner.sweeper().build();
 * runner.start();                                               // the trigger's threads
 * server.start();                                               // binds port 3000
 * sweeper.start();
 * }</pre>
 * In a servlet container or Spring MVC, replace the server with the few lines shown in
 * {@link dev.baton.pipeline.http.StageEndpoint}. A serverless handler builds the same parts once per
 * process, starts the runner (so that each stage's request can trigger the next) and passes each
 * request to {@code endpoint.handle}.
 */
package dev.baton.pipeline.http;
