package dev.baton.pipeline.spring.starter;

import org.springframework.test.context.TestPropertySource;

/** {@code baton.trigger=queue}. */
@TestPropertySource(properties = {"baton.trigger=queue", "baton.queue.shutdown-wait=2s"})
class QueueTriggerTest extends TwoStageAppContract {}
