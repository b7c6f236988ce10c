/**
 * Stages over HTTP: {@link dev.baton.pipeline.http.HttpTrigger} sends signed, fire-and-forget stage
 * requests; {@link dev.baton.pipeline.http.StageEndpoint} receives them (and the start, status and
 * health requests) independent of any web framework; {@link dev.baton.pipeline.http.StageHttpServer}
 * serves the endpoint on the JDK's HTTP server. {@link dev.baton.pipeline.http.RequestSigner} and
 * {@link dev.baton.pipeline.http.SignatureVerifier} implement the {@code X-Pipeline-Signature} scheme;
 * {@link dev.baton.pipeline.http.BaseUrl} resolves where requests go.
 *
 * <p>Wiring one service that both sends and receives stage requests:
 * <pre>{@code
 * HttpTrigger trigger = HttpTrigger.builder().build();          // PIPELINE_API_URL…, PIPELINE_SIGNING_SECRET
 * PipelineRunner runner = PipelineRunner.builder(pipeline, JdbcStageStore.builder(dataSource).build())
 *         .trigger(trigger).build();
 * StageEndpoint endpoint = StageEndpoint.builder(runner,
 *         SignatureVerifier.fromEnvironment(System::getenv, Clock.systemUTC())).build();
 * StageHttpServer server = StageHttpServer.builder(endpoint).address(new InetSocketAddress(3000)).start();
 * new StallSweeper(runner, StallSweeper.DEFAULT_PENDING_GRACE).start(StallSweeper.DEFAULT_INTERVAL);
 * }</pre>
 * In a servlet container or Spring MVC, replace the last-but-one line with the few lines shown in
 * {@link dev.baton.pipeline.http.StageEndpoint}.
 */
package dev.baton.pipeline.http;
