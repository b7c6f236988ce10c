package dev.baton.pipeline.spring.starter;

import org.springframework.test.context.TestPropertySource;

/** {@code baton.trigger=in-process}. */
@TestPropertySource(properties = {"baton.trigger=in-process"})
class InProcessTriggerTest extends TwoStageAppContract {}
