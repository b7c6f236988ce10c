package dev.baton.pipeline.spring.starter;

import org.springframework.test.context.TestPropertySource;

/** {@code baton.trigger=http}. */
@TestPropertySource(properties = {"baton.trigger=http", "baton.http.signing-secret=starter-test-secret-0123456789"})
class HttpTriggerTest extends TwoStageAppContract {}
