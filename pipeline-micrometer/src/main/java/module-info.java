/** Micrometer meters for Baton ({@code dev.baton.pipeline.micrometer}); Micrometer is an automatic module. */
module dev.baton.pipeline.micrometer {
    requires transitive dev.baton.pipeline;
    requires transitive micrometer.core;

    exports dev.baton.pipeline.micrometer;
}
