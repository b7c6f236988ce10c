package dev.baton.pipeline.aws.lambda;

import static org.assertj.core.api.Assertions.assertThat;

import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import dev.baton.pipeline.BatchClient;
import dev.baton.pipeline.BatchState;
import dev.baton.pipeline.BatchStatus;
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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
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
 * The SQS hand-off against ElasticMQ (in this JVM) with the AWS SDK's real client: the test plays the event
 * source mapping, receiving batches of messages and handing them to {@link LambdaSqsHandler} as
 * {@link SQSEvent}s, deleting the ones it does not report failed.
 */
class SqsOnElasticMqTest {
    @RegisterExtension
    static final PostgresExtension PG = PostgresExtension.create();

    private SQSRestServer elasticMq;
    private SqsClient sqs;
    private String queueUrl;
    private SqsTrigger trigger;
    private PipelineRunner runner;
    private JdbcStageStore store;
    private LambdaSqsHandler handler;
    private final Map<Long, AtomicInteger> squareAttempts = new ConcurrentHashMap<>();
    private final List<String> received = new ArrayList<>();
    private final List<String> failedHeard = new java.util.concurrent.CopyOnWriteArrayList<>();

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
                        b -> b.queueName("baton-stages").attributes(Map.of(QueueAttributeName.VISIBILITY_TIMEOUT, "1")))
                .queueUrl();
        BatonSchema.migrate(PG.dataSource());
        store = JdbcStageStore.builder(PG.dataSource()).build();
        trigger = SqsTrigger.builder(sqs, queueUrl).build();
        runner = PipelineRunner.builder(pipeline(), store).trigger(trigger).build();
        runner.start();
        handler = LambdaSqsHandler.builder(runner, store)
                .handOff(trigger::awaitIdle)
                .margin(Duration.ofSeconds(2))
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

    /** fetch → square (fails its first attempt, retried after 1 s) → total. */
    private Pipeline pipeline() {
        return Pipeline.builder()
                .stage("fetch", ctx -> StageResult.done(ctx.input(int[].class).orElseThrow()))
                .stage(
                        "square",
                        ctx -> {
                            if (squareAttempts
                                            .computeIfAbsent(ctx.batchId(), id -> new AtomicInteger())
                                            .incrementAndGet()
                                    == 1) {
                                throw new IllegalStateException("the first try of square fails");
                            }
                            return StageResult.done(Arrays.stream(ctx.output("fetch", int[].class))
                                    .map(n -> n * n)
                                    .toArray());
                        },
                        s -> s.retry(RetryPolicy.exponential(3, Duration.ofSeconds(1))
                                .withJitter(0)))
                .stage(
                        "total",
                        ctx -> StageResult.done(
                                Arrays.stream(ctx.output("square", int[].class)).sum()))
                .build();
    }

    /**
     * One poll of the queue as an event source mapping makes it: up to 10 messages to the handler, the ones it
     * did not report failed deleted.
     *
     * @param duplicate also send each message's body again (a duplicate delivery)
     * @param keepFirst do not delete the first message (a lost delete: SQS delivers it again)
     * @return the handler's answer, or {@code null} when the queue had nothing
     */
    private SQSBatchResponse pump(boolean duplicate, boolean keepFirst) {
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
            r.setReceiptHandle(m.receiptHandle());
            r.setBody(m.body());
            r.setAttributes(Map.of(
                    "ApproximateReceiveCount",
                    m.attributes().getOrDefault(MessageSystemAttributeName.APPROXIMATE_RECEIVE_COUNT, "1")));
            r.setEventSource("aws:sqs");
            records.add(r);
            synchronized (received) {
                received.add(m.body());
            }
        }
        SQSEvent event = new SQSEvent();
        event.setRecords(records);
        SQSBatchResponse answer = handler.handle(event, TestContext.endingIn(Duration.ofSeconds(30)));
        Set<String> failed = new java.util.HashSet<>();
        answer.getBatchItemFailures().forEach(f -> failed.add(f.getItemIdentifier()));
        for (int i = 0; i < messages.size(); i++) {
            Message m = messages.get(i);
            if (duplicate) {
                sqs.sendMessage(b -> b.queueUrl(queueUrl).messageBody(m.body()));
            }
            if (!failed.contains(m.messageId()) && !(keepFirst && i == 0)) {
                sqs.deleteMessage(DeleteMessageRequest.builder()
                        .queueUrl(queueUrl)
                        .receiptHandle(m.receiptHandle())
                        .build());
            }
        }
        return answer;
    }

    private void pumpUntil(BooleanSupplier done, Duration within, boolean duplicate) {
        long deadline = System.nanoTime() + within.toNanos();
        boolean keepFirst = duplicate;
        while (!done.getAsBoolean()) {
            assertThat(System.nanoTime()).as("done within %s", within).isLessThan(deadline);
            SQSBatchResponse answer = pump(duplicate, keepFirst);
            if (answer != null) {
                assertThat(answer.getBatchItemFailures())
                        .as("messages reported failed")
                        .isEmpty();
                keepFirst = false;
            }
        }
    }

    private boolean ended(long... ids) {
        for (long id : ids) {
            if (!runner.client().status(id).map(s -> s.state().isFinal()).orElse(false)) {
                return false;
            }
        }
        return true;
    }

    @Test
    void a_chain_runs_through_sqs_messages_and_a_retry_comes_back_as_a_delayed_message() {
        runner.client().start(1, new int[] {1, 2, 3});
        runner.client().start(2, new int[] {4, 5});

        pumpUntil(() -> ended(1, 2), Duration.ofSeconds(60), false);

        for (long id : new long[] {1, 2}) {
            BatchStatus s = runner.client().status(id).orElseThrow();
            assertThat(s.state()).isEqualTo(BatchState.COMPLETED);
            assertThat(s.stages().get(1).attempts())
                    .as("square of batch %d: failed once, then done", id)
                    .isEqualTo(2);
        }
        assertThat(store.readOutput(1, "total")).contains("14");
        assertThat(store.readOutput(2, "total")).contains("41");
        assertThat(received)
                .as("every message carries ids only")
                .allMatch(b -> StageMessage.parse(b).isPresent());
        int largest = received.stream().mapToInt(String::length).max().orElseThrow();
        System.out.println("largest SQS message body: " + largest + " bytes");
        assertThat(largest).isLessThan(64);
    }

    @Test
    void duplicated_and_redelivered_messages_change_nothing() throws Exception {
        runner.client().start(3, new int[] {2, 2});

        pumpUntil(() -> ended(3), Duration.ofSeconds(60), true);
        // what is still queued (the duplicates, the message whose delete was lost) finds nothing to run
        for (int i = 0; i < 4; i++) {
            SQSBatchResponse answer = pump(false, false);
            assertThat(answer == null || answer.getBatchItemFailures().isEmpty())
                    .isTrue();
        }

        BatchStatus s = runner.client().status(3).orElseThrow();
        assertThat(s.state()).isEqualTo(BatchState.COMPLETED);
        assertThat(s.stages()).extracting(BatchStatus.StageView::attempts).containsExactly(1, 2, 1);
        assertThat(store.readOutput(3, "total")).contains("8");
        assertThat(count("SELECT count(*) FROM batch_processing_data WHERE batch_id = 3 AND chunk = 0"
                        + " AND stage IN ('fetch', 'square', 'total')"))
                .isEqualTo(3);
        assertThat(received.size()).as("messages received, duplicates included").isGreaterThan(4);
    }

    @Test
    void a_poison_message_ends_its_batch_failed_with_the_reason_and_is_not_delivered_again() {
        Trigger none = (batchId, stage) -> {};
        BatchClient quiet =
                BatchClient.builder(runner.pipeline(), store).trigger(none).build();
        quiet.start(7, new int[] {1});
        sqs.sendMessage(b -> b.queueUrl(queueUrl).messageBody(new StageMessage(7, "no-such-stage").body()));
        sqs.sendMessage(b -> b.queueUrl(queueUrl).messageBody("not a stage message"));

        pumpUntil(() -> ended(7), Duration.ofSeconds(30), false);

        BatchStatus s = runner.client().status(7).orElseThrow();
        assertThat(s.state()).isEqualTo(BatchState.FAILED);
        assertThat(s.error()).contains("no-such-stage").contains("does not have");
        assertThat(failedHeard)
                .as("the listener hears batchFailed with the reason")
                .singleElement()
                .asString()
                .startsWith("7 fetch: ")
                .contains("no-such-stage");
        assertThat(pump(false, false)).as("nothing comes back").isNull();
        assertThat(pump(false, false))
                .as("nothing comes back after the visibility timeout")
                .isNull();
    }

    @Test
    void a_message_fired_with_a_trace_context_carries_it_as_the_traceparent_attribute() throws Exception {
        String traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        trigger.fire(40, "fetch", traceparent);
        trigger.fire(41, "fetch", null);
        assertThat(trigger.awaitIdle(Duration.ofSeconds(10))).isTrue();

        Map<String, Message> byBody = new ConcurrentHashMap<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (byBody.size() < 2) {
            assertThat(System.nanoTime()).as("both messages received").isLessThan(deadline);
            sqs.receiveMessage(ReceiveMessageRequest.builder()
                            .queueUrl(queueUrl)
                            .maxNumberOfMessages(10)
                            .waitTimeSeconds(1)
                            .messageAttributeNames("All")
                            .build())
                    .messages()
                    .forEach(m -> byBody.put(m.body(), m));
        }

        Message traced = byBody.get(new StageMessage(40, "fetch").body());
        assertThat(traced.messageAttributes()).containsOnlyKeys(SqsTrigger.TRACE_ATTRIBUTE);
        assertThat(traced.messageAttributes().get("traceparent").dataType()).isEqualTo("String");
        assertThat(traced.messageAttributes().get("traceparent").stringValue()).isEqualTo(traceparent);
        assertThat(byBody.get(new StageMessage(41, "fetch").body()).messageAttributes())
                .as("no context, no attribute")
                .isEmpty();
    }

    @Test
    void a_message_whose_run_throws_on_its_last_receive_fails_its_batch_naming_batch_stage_and_receives() {
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
        Trigger none = (batchId, stage) -> {};
        try (PipelineRunner r =
                PipelineRunner.builder(pipeline(), flakyStore).trigger(none).build()) {
            LambdaSqsHandler h = LambdaSqsHandler.builder(r, flakyStore)
                    .maxReceives(3)
                    .listener(new PipelineListener() {
                        @Override
                        public void batchFailed(long batchId, String stage, String error) {
                            failedHeard.add(batchId + " " + stage + ": " + error);
                        }
                    })
                    .build();
            r.client().start(8, new int[] {1});
            SQSEvent.SQSMessage m = new SQSEvent.SQSMessage();
            m.setMessageId("m-8");
            m.setBody(new StageMessage(8, "fetch").body());
            SQSEvent event = new SQSEvent();
            event.setRecords(List.of(m));

            m.setAttributes(Map.of("ApproximateReceiveCount", "2"));
            refuse.set(1);
            assertThat(h.handle(event, TestContext.endingIn(Duration.ofSeconds(30)))
                            .getBatchItemFailures())
                    .as("receive 2 of 3: delivered again")
                    .hasSize(1);
            assertThat(r.client().status(8).orElseThrow().state()).isEqualTo(BatchState.PENDING);

            m.setAttributes(Map.of("ApproximateReceiveCount", "3"));
            refuse.set(1);
            assertThat(h.handle(event, TestContext.endingIn(Duration.ofSeconds(30)))
                            .getBatchItemFailures())
                    .as("receive 3 of 3: acknowledged")
                    .isEmpty();
        }
        BatchStatus s = runner.client().status(8).orElseThrow();
        assertThat(s.state()).isEqualTo(BatchState.FAILED);
        assertThat(s.error()).contains("batch 8 stage fetch").contains("after 3 receives");
        assertThat(failedHeard)
                .singleElement()
                .asString()
                .startsWith("8 fetch: ")
                .contains("after 3 receives");
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
