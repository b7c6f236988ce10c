package dev.baton.pipeline.opentelemetry;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.baton.pipeline.PipelineRunner;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.Retry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.context.Context;
import java.lang.module.Configuration;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The module exports its one package, and its declaration resolves on the module path against pipeline-api and
 * the OpenTelemetry API alone (the tests run on the class path, where a declaration is not checked).
 */
class OpenTelemetryModuleTest {
    static final String NAME = "dev.baton.pipeline.opentelemetry";

    @Test
    void the_module_exports_its_one_package_and_resolves_with_the_opentelemetry_api_and_no_sdk() {
        ModuleDescriptor module = ModuleFinder.of(location(OpenTelemetryStageInterceptor.class))
                .find(NAME)
                .orElseThrow()
                .descriptor();
        assertThat(module.isAutomatic()).isFalse();
        assertThat(module.exports().stream().map(ModuleDescriptor.Exports::source))
                .containsExactly("dev.baton.pipeline.opentelemetry");

        ModuleFinder finder = ModuleFinder.of(Stream.of(
                        OpenTelemetryStageInterceptor.class,
                        PipelineRunner.class,
                        OpenTelemetry.class,
                        Context.class,
                        ObjectMapper.class,
                        JsonFactory.class,
                        JsonAutoDetect.class,
                        JavaTimeModule.class,
                        LoggerFactory.class,
                        IntervalFunction.class,
                        Retry.class)
                .map(OpenTelemetryModuleTest::location)
                .distinct()
                .toArray(Path[]::new));
        Configuration resolved = ModuleLayer.boot().configuration().resolve(finder, ModuleFinder.of(), Set.of(NAME));
        assertThat(resolved.modules().stream().map(m -> m.name()))
                .contains(NAME, "io.opentelemetry.api", "io.opentelemetry.context")
                .noneMatch(name -> name.startsWith("io.opentelemetry.sdk"));
    }

    private static Path location(Class<?> type) {
        try {
            return Path.of(
                    type.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
