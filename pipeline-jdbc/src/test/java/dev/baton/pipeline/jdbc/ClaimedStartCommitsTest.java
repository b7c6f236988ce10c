package dev.baton.pipeline.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.pipeline.BatchClient;
import dev.baton.pipeline.BatchState;
import dev.baton.pipeline.InProcessTrigger;
import dev.baton.pipeline.Pipeline;
import dev.baton.pipeline.PipelineListener;
import dev.baton.pipeline.PipelineRunner;
import dev.baton.pipeline.StageResult;
import dev.baton.pipeline.testkit.PostgresExtension;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * On PostgreSQL, a start by the runner's client with an in-process thread idle inserts its run already claimed in one
 * statement, so a batch costs one transaction fewer, and each of its stages still runs once.
 */
class ClaimedStartCommitsTest {
    @RegisterExtension
    static final PostgresExtension PG = PostgresExtension.create();

    final AtomicInteger commits = new AtomicInteger();
    final List<String> invocations = new CopyOnWriteArrayList<>();
    final Map<Long, CountDownLatch> completed = new ConcurrentHashMap<>();
    final Pipeline pipeline = Pipeline.builder()
            .stage("a", ctx -> {
                invocations.add(ctx.batchId() + ":a:" + ctx.attempt());
                return StageResult.done(Map.of("a", ctx.batchId()));
            })
            .stage("b", ctx -> {
                invocations.add(ctx.batchId() + ":b:" + ctx.attempt());
                return StageResult.done(Map.of("b", ctx.batchId()));
            })
            .build();

    JdbcStageStore store;

    @BeforeEach
    void schema() {
        BatonSchema.migrate(PG.dataSource());
        store = JdbcStageStore.builder(counting(PG.dataSource())).build();
    }

    /**
     * Counts the transactions the store commits on {@code target}'s connections: each {@link Connection#commit()},
     * and each statement run in autocommit mode.
     */
    DataSource counting(DataSource target) {
        return (DataSource) Proxy.newProxyInstance(
                DataSource.class.getClassLoader(), new Class<?>[] {DataSource.class}, (p, m, args) -> {
                    Object result = invoke(target, m, args);
                    return result instanceof Connection c ? connection(c) : result;
                });
    }

    private Connection connection(Connection target) {
        return (Connection) Proxy.newProxyInstance(
                Connection.class.getClassLoader(), new Class<?>[] {Connection.class}, (p, m, args) -> {
                    if (m.getName().equals("commit")) {
                        commits.incrementAndGet();
                    }
                    Object result = invoke(target, m, args);
                    return result instanceof Statement s ? statement(target, s) : result;
                });
    }

    private Object statement(Connection connection, Statement target) {
        Class<?> type = target instanceof CallableStatement
                ? CallableStatement.class
                : target instanceof PreparedStatement ? PreparedStatement.class : Statement.class;
        return Proxy.newProxyInstance(Statement.class.getClassLoader(), new Class<?>[] {type}, (p, m, args) -> {
            if (m.getName().startsWith("execute") && connection.getAutoCommit()) {
                commits.incrementAndGet();
            }
            return invoke(target, m, args);
        });
    }

    private static Object invoke(Object target, java.lang.reflect.Method m, Object[] args) throws Throwable {
        try {
            return m.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    @Test
    void a_start_by_the_runners_client_commits_one_transaction_fewer_and_runs_each_stage_once() throws Exception {
        InProcessTrigger trigger = InProcessTrigger.builder().threads(2).build();
        try (PipelineRunner runner = PipelineRunner.builder(pipeline, store)
                .trigger(trigger)
                .listener(new PipelineListener() {
                    @Override
                    public void batchCompleted(long batchId) {
                        completed.get(batchId).countDown();
                    }
                })
                .build()) {
            runner.start();
            int fused = commitsOf(
                    1,
                    () -> assertThat(runner.client()
                                    .start(1, Map.of("k", 1))
                                    .status()
                                    .state())
                            .isEqualTo(BatchState.IN_PROGRESS));
            BatchClient plainClient =
                    BatchClient.builder(pipeline, store).trigger(trigger).build();
            int plain = commitsOf(
                    2,
                    () -> assertThat(plainClient
                                    .start(2, Map.of("k", 2))
                                    .status()
                                    .state())
                            .isEqualTo(BatchState.PENDING));

            assertThat(plain - fused)
                    .as("the claim of the first stage is no transaction of its own")
                    .isEqualTo(1);
            assertThat(fused)
                    .as("create with the claim, advance with the next claim, complete")
                    .isEqualTo(3);
            assertThat(invocations).containsExactly("1:a:1", "1:b:1", "2:a:1", "2:b:1");
            assertThat(store.find(1).orElseThrow().state()).isEqualTo(BatchState.COMPLETED);
            assertThat(store.readInput(1, in -> in.read()).isPresent()).isTrue();
            assertThat(runner.client().start(1, Map.of("k", 1)).created())
                    .as("the same start again is the same run")
                    .isFalse();
            assertThat(invocations).hasSize(4);
        }
    }

    /** @return the transactions committed from the start until batch {@code batchId} completes */
    private int commitsOf(long batchId, Runnable start) throws InterruptedException {
        CountDownLatch done = new CountDownLatch(1);
        completed.put(batchId, done);
        int before = commits.get();
        start.run();
        assertThat(done.await(30, TimeUnit.SECONDS))
                .as("batch " + batchId + " completes")
                .isTrue();
        return commits.get() - before;
    }
}
