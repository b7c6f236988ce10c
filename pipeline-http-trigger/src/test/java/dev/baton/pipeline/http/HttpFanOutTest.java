package dev.baton.pipeline.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.baton.pipeline.BatchState;
import dev.baton.pipeline.BatchStatus;
import dev.baton.pipeline.FanOut;
import dev.baton.pipeline.Pipeline;
import dev.baton.pipeline.PipelineListener;
import dev.baton.pipeline.PipelineRunner;
import dev.baton.pipeline.RetryPolicy;
import dev.baton.pipeline.StageResult;
import dev.baton.pipeline.jdbc.BatonSchema;
import dev.baton.pipeline.jdbc.JdbcStageStore;
import dev.baton.pipeline.testkit.PostgresExtension;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A fanned-out stage over real HTTP on loopback, stored in PostgreSQL: the runner's {@link HttpTrigger} posts each
 * shard, signed, to a {@link StageHttpServer}, whose {@link StageEndpoint} runs it; the last shard joins.
 */
class HttpFanOutTest {
    @RegisterExtension
    static final PostgresExtension PG = PostgresExtension.create();

    static final Duration WAIT = Duration.ofSeconds(120);

    final RecordingListener deliveries = new RecordingListener();
    final Map<Integer, AtomicInteger> tries = new ConcurrentHashMap<>();
    HikariDataSource pool;
    PipelineRunner runner;
    StageHttpServer server;
    JdbcStageStore store;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        if (runner != null) {
            runner.close();
        }
        if (pool != null) {
            pool.close();
        }
    }

    /** items 0..39 → cube (8 shards, 3 at once; the shard starting at item 10 fails its first try) → sum. */
    Pipeline pipeline() {
        return Pipeline.builder()
                .stage(
                        "items",
                        ctx -> StageResult.done(IntStream.range(0, 40).boxed().toList()))
                .stage(
                        "cube",
                        FanOut.<Integer>of(
                                        ctx -> ((List<?>) ctx.output("items", List.class))
                                                .stream()
                                                        .map(o -> ((Number) o).intValue())
                                                        .toList(),
                                        (ctx, items) -> {
                                            int first = items.get(0);
                                            if (first == 10
                                                    && tries.computeIfAbsent(first, k -> new AtomicInteger())
                                                                    .incrementAndGet()
                                                            == 1) {
                                                throw new IllegalStateException("the first try of this shard fails");
                                            }
                                            return StageResult.done(items.stream()
                                                    .map(i -> (long) i * i * i)
                                                    .toList());
                                        })
                                .shards(8)
                                .parallelism(3),
                        s -> s.retry(RetryPolicy.exponential(3, Duration.ofMillis(100))
                                .withJitter(0)))
                .stage(
                        "sum",
                        ctx -> StageResult.done(((List<?>) ctx.output("cube", List.class))
                                .stream()
                                        .mapToLong(o -> ((Number) o).longValue())
                                        .sum()))
                .build();
    }

    @Test
    void every_shard_travels_over_http_and_the_batch_joins_once() throws Exception {
        int port = TinyServer.freePort();
        URI base = URI.create("http://127.0.0.1:" + port);
        BatonSchema.migrate(PG.dataSource());
        HikariConfig config = new HikariConfig();
        config.setDataSource(PG.dataSource());
        config.setMaximumPoolSize(12);
        pool = new HikariDataSource(config);
        store = JdbcStageStore.builder(pool).build();
        CountDownLatch completed = new CountDownLatch(1);
        HttpTrigger trigger = HttpTrigger.builder()
                .baseUrl(base.toString())
                .secret(SignatureTest.SECRET)
                .backoff(Duration.ofMillis(20), 2.0, Duration.ofMillis(500))
                .shutdownWait(Duration.ZERO)
                .listener(deliveries)
                .build();
        runner = PipelineRunner.builder(pipeline(), store)
                .trigger(trigger)
                .listener(new PipelineListener() {
                    @Override
                    public void batchCompleted(long batchId) {
                        completed.countDown();
                    }
                })
                .build();
        StageEndpoint endpoint = StageEndpoint.builder(
                        runner,
                        SignatureTest.verifier().clock(Clock.systemUTC()).build())
                .build();
        server = StageHttpServer.builder(endpoint)
                .address(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))
                .threads(8)
                .stopWait(Duration.ZERO)
                .build();
        runner.start();
        server.start();

        runner.client().start(11);
        assertTimeoutPreemptively(WAIT, () -> completed.await());

        BatchStatus s = runner.client().status(11).orElseThrow();
        assertThat(s.state()).isEqualTo(BatchState.COMPLETED);
        long expected = IntStream.range(0, 40).mapToLong(i -> (long) i * i * i).sum();
        assertThat(store.readOutput(11, "sum")).contains(Long.toString(expected));
        assertThat(new ObjectMapper().readValue(store.readOutput(11, "cube").orElseThrow(), long[].class))
                .containsExactly(
                        IntStream.range(0, 40).mapToLong(i -> (long) i * i * i).toArray());
        assertThat(s.stages().get(1).shards()).isEqualTo(new BatchStatus.Shards(8, 8, 0, 0));
        assertThat(tries.get(10)).as("the failing shard ran twice").hasValue(2);
        assertThat(deliveries.events)
                .as("no delivery lost or refused")
                .noneMatch(e -> e.kind().equals("gaveUp")
                        || e.kind().equals("dropped")
                        || (e.kind().equals("answered") && e.number() != 200 && e.number() != 409));
        assertThat(deliveries.events)
                .filteredOn(e -> e.stage().equals("cube"))
                .as("the fan-out's own request, 8 shards and the retry")
                .hasSizeGreaterThanOrEqualTo(10);
    }
}
