/**
 * Baton's core: the host API ({@code dev.baton.pipeline}: pipelines, stages, the runner, the client),
 * the SPI that stores and triggers implement ({@code dev.baton.pipeline.spi}), and JUnit-free test
 * doubles for hosts' tests ({@code dev.baton.pipeline.testing}: an in-memory store, a synchronous
 * trigger, a settable clock, fault injection). {@code dev.baton.pipeline.internal} is not exported.
 */
module dev.baton.pipeline {
    requires transitive com.fasterxml.jackson.databind;
    requires transitive org.slf4j;
    requires com.fasterxml.jackson.datatype.jsr310;
    requires io.github.resilience4j.core;
    requires java.management;

    exports dev.baton.pipeline;
    exports dev.baton.pipeline.spi;
    exports dev.baton.pipeline.testing;
}
