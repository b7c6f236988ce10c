package dev.baton.pipeline.aws.lambda;

import static org.assertj.core.api.Assertions.assertThat;

import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import dev.baton.pipeline.BatchState;
import dev.baton.pipeline.BatchStatus;
import dev.baton.pipeline.FanOut;
import dev.baton.pipeline.Pipeline;
import dev.baton.pipeline.PipelineListener;
import dev.baton.pipeline.PipelineRunner;
import dev.baton.pipeline.RetryPolicy;
import dev.baton.pipeline.StageResult;
import dev.baton.pipeline.aws.sqs.SqsTrigger;
import dev.baton.pipeline.aws.sqs.StageMessage;
import dev.baton.pipeline.jdbc.BatonSchema;
import dev.baton.pipeline.jdbc.JdbcStageStore;
import dev.baton.pipeline.spi.Trigger;
import dev.baton.pipeline.testkit.PostgresExtension;
import java.net.URI;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.elasticmq.rest.sqs.SQSRestServer;
import org.elasticmq.rest.sqs.SQSRestServerBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.DeleteMessageRequest;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;
import software.amazon.awssdk.services.sqs.model.ReceiveMessageRequest;

/**
 * The SQS hand-off of shards against ElasticMQ, the test playing the event source mapping as
 * {@link SqsOnElasticMqTest} does: a fanned-out stage's shards travel as {@link StageMessage}s with a shard, and
 * {@link LambdaSqsHandler} runs them with the invocation's deadline.
 */
class ShardsOnSqsTest {
    @RegisterExtension
    static final PostgresExtension PG = PostgresExtension.create();

    private SQSRestServer elasticMq;
    private SqsClient sqs;
    private String queueUrl;
    private SqsTrigger trigger;
    private PipelineRunner runner;
    private JdbcStageStore store;
    private LambdaSqsHandler handler;
    /** Tries per (batch, first item of the shard): the shard holding item 0 fails its first try. */
    private final Map<String, AtomicInteger> tries = new ConcurrentHashMap<>();

    private final List<Instant> shardDeadlines = new CopyOnWriteArrayList<>();
    private final List<String> received = new CopyOnWriteArrayList<>();
    private final List<String> failedHeard = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() {
        elasticMq = SQSRestServerBuilder.withInterface("127.0.0.1")
                .withDynamicPort()
                .start();
        int port = elasticMq.waitUntilStarted().localAddress().getPort();
        sqs = SqsClient.builder()
                .endpointOverride(URI.create("http://127.0.0.1:" + port))
                .region(Region.EU_WEST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("x", "x")))
                .httpClient(UrlConnectionHttpClient.create())
                .build();
        queueUrl = sqs.createQueue(
                        b -> b.queueName("baton-shards").attributes(Map.of(QueueAttributeName.VISIBILITY_TIMEOUT, "1")))
                .queueUrl();
        BatonSchema.migrate(PG.dataSource());
        store = JdbcStageStore.builder(PG.dataSource()).build();
        trigger = SqsTrigger.builder(sqs, queueUrl).build();
        runner = PipelineRunner.builder(pipeline(), store).trigger(trigger).build();
        runner.start();
        handler = handler(runner, store, 5);
    }

    private LambdaSqsHandler handler(PipelineRunner r, JdbcStageStore s, int maxReceives) {
        return LambdaSqsHandler.builder(r, s)
                .handOff(trigger::awaitIdle)
                .margin(Duration.ofSeconds(2))
                .maxReceives(maxReceives)
                .listener(new PipelineListener() {
                    @Override
                    public void batchFailed(long batchId, String stage, String error) {
                        failedHeard.add(batchId + " " + stage + ": " + error);
                    }
                })
                .build();
    }

    @AfterEach
    void stop() {
        if (runner != null) {
            runner.close();
        }
        if (sqs != null) {
            sqs.close();
        }
        if (elasticMq != null) {
            elasticMq.stopAndWait();
        }
    }

    /** fetch → square (3 shards; the shard with item 0 fails its first try, retried after 1 s) → total. */
    private Pipeline pipeline() {
        return Pipeline.builder()
                .stage("fetch", ctx -> StageResult.done(ctx.input(int[].class).orElseThrow()))
                .stage(
                        "square",
                        FanOut.<Integer>of(
                                        ctx -> Arrays.stream(ctx.output("fetch", int[].class))
                                                .boxed()
                                                .toList(),
                                        (ctx, items) -> {
                                            shardDeadlines.add(ctx.deadline());
                                            String key = ctx.batchId() + ":" + items.get(0);
                                            int n = tries.computeIfAbsent(key, k -> new AtomicInteger())
                                                    .incrementAndGet();
                                            if (items.get(0) == 1 && n == 1) {
                                                throw new IllegalStateException("the first try of this shard fails");
                                            }
                                            return StageResult.done(items.stream()
                                                    .map(i -> i * i)
                                                    .toList());
                                        })
                                .shards(3),
                        s -> s.retry(RetryPolicy.exponential(3, Duration.ofSeconds(1))
                                .withJitter(0)))
                .stage(
                        "total",
                        ctx -> StageResult.done(
                                Arrays.stream(ctx.output("square", int[].class)).sum()))
                .budget(Duration.ofMinutes(10))
                .build();
    }

    /** One poll as an event source mapping makes it; see {@link SqsOnElasticMqTest}. */
    private SQSBatchResponse pump(boolean duplicate) {
        List<Message> messages = sqs.receiveMessage(ReceiveMessageRequest.builder()
                        .queueUrl(queueUrl)
                        .maxNumberOfMessages(10)
                        .waitTimeSeconds(1)
                        .messageSystemAttributeNames(MessageSystemAttributeName.APPROXIMATE_RECEIVE_COUNT)
                        .build())
                .messages();
        if (messages.isEmpty()) {
            return null;
        }
        List<SQSEvent.SQSMessage> records = new ArrayList<>();
        for (Message m : messages) {
            SQSEvent.SQSMessage r = new SQSEvent.SQSMessage();
            r.setMessageId(m.messageId());
            r.setBody(m.body());
            r.setAttributes(Map.of(
                    "ApproximateReceiveCount",
                    m.attributes().getOrDefault(MessageSystemAttributeName.APPROXIMATE_RECEIVE_COUNT, "1")));
            records.add(r);
            received.add(m.body());
        }
        SQSEvent event = new SQSEvent();
        event.setRecords(records);
        TestContext context = TestContext.endingIn(Duration.ofSeconds(30));
        SQSBatchResponse answer = handler.handle(event, context);
        Set<String> failed = new HashSet<>();
        answer.getBatchItemFailures().forEach(f -> failed.add(f.getItemIdentifier()));
        for (Message m : messages) {
            if (duplicate) {
                sqs.sendMessage(b -> b.queueUrl(queueUrl).messageBody(m.body()));
            }
            if (!failed.contains(m.messageId())) {
                sqs.deleteMessage(DeleteMessageRequest.builder()
                        .queueUrl(queueUrl)
                        .receiptHandle(m.receiptHandle())
                        .build());
            }
        }
        return answer;
    }

    private void pumpUntilEnded(long batchId, boolean duplicate) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!runner.client().status(batchId).map(s -> s.state().isFinal()).orElse(false)) {
            assertThat(System.nanoTime())
                    .as("batch %d ended within 60 s", batchId)
                    .isLessThan(deadline);
            SQSBatchResponse answer = pump(duplicate);
            if (answer != null) {
                assertThat(answer.getBatchItemFailures())
                        .as("messages reported failed")
                        .isEmpty();
            }
        }
    }

    private List<StageMessage> shardMessages() {
        return received.stream()
                .map(b -> StageMessage.parse(b).orElseThrow())
                .filter(StageMessage::hasShard)
                .toList();
    }

    @Test
    void a_fanned_out_stage_runs_its_shards_from_sqs_messages_and_a_shard_retry_comes_back_delayed() {
        Instant before = Instant.now();
        runner.client().start(1, new int[] {1, 2, 3, 4, 5, 6});

        pumpUntilEnded(1, false);

        BatchStatus s = runner.client().status(1).orElseThrow();
        assertThat(s.state()).isEqualTo(BatchState.COMPLETED);
        assertThat(store.readOutput(1, "total")).contains("91");
        assertThat(s.stages().get(1).shards()).isEqualTo(new BatchStatus.Shards(3, 3, 0, 0));
        assertThat(shardMessages())
                .as("each shard sent once, and the one that failed once more for its retry")
                .extracting(StageMessage::shard)
                .containsExactlyInAnyOrder(0, 0, 1, 2);
        assertThat(shardMessages()).allMatch(m -> m.batchId() == 1 && m.stage().equals("square"));
        assertThat(shardDeadlines)
                .as("every shard ran with the invocation's deadline (30 s) less the margin, not its 10 min budget")
                .hasSize(4)
                .allMatch(d -> d.isBefore(Instant.now().plusSeconds(29)) && d.isAfter(before));
    }

    @Test
    void duplicated_shard_messages_change_nothing() throws Exception {
        runner.client().start(2, new int[] {1, 2, 3});

        pumpUntilEnded(2, true);
        for (int i = 0; i < 4; i++) {
            SQSBatchResponse answer = pump(false);
            assertThat(answer == null || answer.getBatchItemFailures().isEmpty())
                    .isTrue();
        }

        assertThat(store.readOutput(2, "total")).contains("14");
        assertThat(runner.client().status(2).orElseThrow().stages().get(1).shards())
                .isEqualTo(new BatchStatus.Shards(3, 3, 0, 0));
        assertThat(count("SELECT count(*) FROM batch_processing_data WHERE batch_id = 2 AND stage LIKE '%:shard:%'"))
                .as("the shard outputs were joined and deleted")
                .isZero();
        assertThat(shardMessages().size())
                .as("shard messages received, duplicates included")
                .isGreaterThan(4);
    }

    @Test
    void a_shard_message_carries_the_shard_and_the_traceparent_and_a_delay_over_900_s_is_left_to_the_sweeper()
            throws Exception {
        String traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        trigger.fireShard(40, "square", 2, Duration.ofSeconds(901), traceparent);
        trigger.fireShard(40, "square", 1, Duration.ZERO, traceparent);
        assertThat(trigger.awaitIdle(Duration.ofSeconds(10))).isTrue();

        List<Message> got = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (got.isEmpty()) {
            assertThat(System.nanoTime()).as("the message received").isLessThan(deadline);
            got.addAll(sqs.receiveMessage(ReceiveMessageRequest.builder()
                            .queueUrl(queueUrl)
                            .maxNumberOfMessages(10)
                            .waitTimeSeconds(1)
                            .messageAttributeNames("All")
                            .build())
                    .messages());
        }
        assertThat(got).singleElement().satisfies(m -> {
            assertThat(m.body()).isEqualTo("{\"batchId\":40,\"stage\":\"square\",\"shard\":1}");
            assertThat(m.messageAttributes().get(SqsTrigger.TRACE_ATTRIBUTE).stringValue())
                    .isEqualTo(traceparent);
        });
    }

    @Test
    void a_shard_message_whose_run_throws_on_its_last_receive_fails_the_shard_and_its_batch() {
        AtomicInteger refuse = new AtomicInteger();
        javax.sql.DataSource real = PG.dataSource();
        javax.sql.DataSource flaky = (javax.sql.DataSource) java.lang.reflect.Proxy.newProxyInstance(
                getClass().getClassLoader(), new Class<?>[] {javax.sql.DataSource.class}, (proxy, method, args) -> {
                    if (method.getName().equals("getConnection") && refuse.getAndDecrement() > 0) {
                        throw new java.sql.SQLException("the database is down (test)");
                    }
                    try {
                        return method.invoke(real, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        JdbcStageStore flakyStore = JdbcStageStore.builder(flaky).build();
        List<Integer> shardsFired = new CopyOnWriteArrayList<>();
        Trigger recording = new Trigger() {
            @Override
            public void fire(long batchId, String stage) {}

            @Override
            public void fireShard(long batchId, String stage, int shard, Duration delay, String traceContext) {
                shardsFired.add(shard);
            }
        };
        try (PipelineRunner r = PipelineRunner.builder(pipeline(), flakyStore)
                .trigger(recording)
                .build()) {
            LambdaSqsHandler h = handler(r, flakyStore, 3);
            r.client().start(8, new int[] {1, 2, 3});
            r.runStage(8, "fetch");
            r.runStage(8, "square");
            assertThat(shardsFired).containsExactlyInAnyOrder(0, 1, 2);

            SQSEvent.SQSMessage m = new SQSEvent.SQSMessage();
            m.setMessageId("m-8");
            m.setBody(new StageMessage(8, "square", 2).body());
            m.setAttributes(Map.of("ApproximateReceiveCount", "3"));
            SQSEvent event = new SQSEvent();
            event.setRecords(List.of(m));
            refuse.set(1);
            assertThat(h.handle(event, TestContext.endingIn(Duration.ofSeconds(30)))
                            .getBatchItemFailures())
                    .as("receive 3 of 3: acknowledged")
                    .isEmpty();
        }
        BatchStatus s = runner.client().status(8).orElseThrow();
        assertThat(s.state()).isEqualTo(BatchState.FAILED);
        assertThat(s.error()).contains("batch 8 stage square shard 2").contains("after 3 receives");
        assertThat(failedHeard).singleElement().asString().startsWith("8 square: ");
    }

    private static int count(String sql) throws Exception {
        try (Connection c = PG.dataSource().getConnection();
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
