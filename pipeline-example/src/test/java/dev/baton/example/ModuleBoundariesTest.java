package dev.baton.example;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.baton.pipeline.PipelineRunner;
import dev.baton.pipeline.dashboard.Dashboard;
import dev.baton.pipeline.http.HttpTrigger;
import dev.baton.pipeline.jdbc.JdbcStageStore;
import dev.baton.pipeline.micrometer.MicrometerPipelineListener;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.Retry;
import io.micrometer.core.instrument.MeterRegistry;
import java.lang.module.Configuration;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;
import org.postgresql.Driver;
import org.slf4j.LoggerFactory;

/**
 * Each library module exports its host API and SPI packages and nothing else, and its module
 * declaration resolves on the module path against the jars it names (the tests themselves run on the
 * class path, where a module declaration is not checked).
 */
class ModuleBoundariesTest {

    private static final Map<String, Set<String>> EXPORTS = Map.of(
            "dev.baton.pipeline", Set.of("dev.baton.pipeline", "dev.baton.pipeline.spi", "dev.baton.pipeline.testing"),
            "dev.baton.pipeline.jdbc", Set.of("dev.baton.pipeline.jdbc"),
            "dev.baton.pipeline.http", Set.of("dev.baton.pipeline.http"),
            "dev.baton.pipeline.micrometer", Set.of("dev.baton.pipeline.micrometer"),
            "dev.baton.pipeline.dashboard", Set.of("dev.baton.pipeline.dashboard"));

    @Test
    void every_library_module_exports_only_its_api_and_spi_packages() {
        ModuleFinder finder = ModuleFinder.of(
                location(PipelineRunner.class),
                location(JdbcStageStore.class),
                location(HttpTrigger.class),
                location(MicrometerPipelineListener.class),
                location(Dashboard.class));
        Map<String, ModuleDescriptor> found = finder.findAll().stream()
                .map(ModuleReference::descriptor)
                .collect(Collectors.toMap(ModuleDescriptor::name, d -> d));
        assertThat(found.keySet()).containsExactlyInAnyOrderElementsOf(EXPORTS.keySet());
        found.forEach((name, module) -> {
            assertThat(module.isAutomatic())
                    .as(name + " has a module declaration")
                    .isFalse();
            assertThat(module.exports()).as(name + " exports to everyone").allMatch(e -> !e.isQualified());
            assertThat(module.exports().stream().map(ModuleDescriptor.Exports::source))
                    .as(name + " exports")
                    .containsExactlyInAnyOrderElementsOf(EXPORTS.get(name));
        });
        assertThat(found.get("dev.baton.pipeline").packages()).contains("dev.baton.pipeline.internal");
    }

    @Test
    void the_module_declarations_resolve_on_the_module_path() {
        ModuleFinder finder = ModuleFinder.of(Stream.of(
                        PipelineRunner.class,
                        JdbcStageStore.class,
                        HttpTrigger.class,
                        MicrometerPipelineListener.class,
                        Dashboard.class,
                        ObjectMapper.class,
                        JsonFactory.class,
                        JsonAutoDetect.class,
                        JavaTimeModule.class,
                        LoggerFactory.class,
                        IntervalFunction.class,
                        Retry.class,
                        Jdbi.class,
                        Driver.class,
                        MeterRegistry.class)
                .map(ModuleBoundariesTest::location)
                .distinct()
                .toArray(Path[]::new));
        Configuration resolved =
                ModuleLayer.boot().configuration().resolve(finder, ModuleFinder.of(), EXPORTS.keySet());
        assertThat(resolved.modules().stream().map(m -> m.name())).containsAll(EXPORTS.keySet());
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
