package dev.baton.pipeline.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class BaseUrlTest {

    static Stream<Arguments> firstFoundWins() {
        return Stream.of(
                Arguments.of(
                        "explicit beats everything",
                        "https://explicit.example",
                        Map.of(
                                "PIPELINE_API_URL",
                                "https://a.example",
                                "NEXT_PUBLIC_API_URL",
                                "https://b.example",
                                "VERCEL_URL",
                                "c.vercel.app"),
                        "https://explicit.example"),
                Arguments.of(
                        "PIPELINE_API_URL next",
                        null,
                        Map.of(
                                "PIPELINE_API_URL",
                                "https://a.example/",
                                "NEXT_PUBLIC_API_URL",
                                "https://b.example",
                                "VERCEL_URL",
                                "c.vercel.app"),
                        "https://a.example"),
                Arguments.of(
                        "NEXT_PUBLIC_API_URL next",
                        null,
                        Map.of(
                                "PIPELINE_API_URL",
                                " ",
                                "NEXT_PUBLIC_API_URL",
                                "http://b.example:8080/app/",
                                "VERCEL_URL",
                                "c.vercel.app"),
                        "http://b.example:8080/app"),
                Arguments.of(
                        "VERCEL_URL as https",
                        null,
                        Map.of("VERCEL_URL", "my-app-git-main.vercel.app"),
                        "https://my-app-git-main.vercel.app"),
                Arguments.of(
                        "VERCEL_URL with a scheme kept",
                        null,
                        Map.of("VERCEL_URL", "http://preview.local:3001"),
                        "http://preview.local:3001"),
                Arguments.of(
                        "VERCEL_URL in production",
                        null,
                        Map.of("VERCEL_URL", "my-app.vercel.app", "VERCEL_ENV", "production"),
                        "https://my-app.vercel.app"),
                Arguments.of(
                        "localhost in development", null, Map.of("NODE_ENV", "development"), "http://localhost:3000"),
                Arguments.of("localhost with nothing set", "", Map.of(), "http://localhost:3000"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void firstFoundWins(String name, String explicit, Map<String, String> env, String expected) {
        assertThat(BaseUrl.resolve(explicit, env::get)).hasToString(expected);
    }

    @Test
    void failsFastInProductionWithoutAUrl() {
        for (String var : new String[] {"VERCEL_ENV", "NODE_ENV", "PIPELINE_ENV"}) {
            Map<String, String> env = new HashMap<>();
            env.put(var, "production");
            assertThat(BaseUrl.isProduction(env::get)).isTrue();
            assertThatThrownBy(() -> BaseUrl.resolve(null, env::get))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("PIPELINE_API_URL")
                    .hasMessageContaining("production");
        }
        assertThat(BaseUrl.isProduction(Map.of("VERCEL_ENV", "preview")::get)).isFalse();
    }

    @Test
    void rejectsUrlsThatAreNotAbsoluteHttpAndNamesTheSource() {
        assertThatThrownBy(() -> BaseUrl.resolve(null, Map.of("PIPELINE_API_URL", "ftp://x.example")::get))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("PIPELINE_API_URL");
        assertThatThrownBy(() -> BaseUrl.resolve("localhost:3000", Map.<String, String>of()::get))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("configured base URL");
        assertThatThrownBy(() -> BaseUrl.resolve(null, Map.of("NEXT_PUBLIC_API_URL", "https://x.example/?a=1")::get))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("NEXT_PUBLIC_API_URL");
        assertThatThrownBy(() -> BaseUrl.resolve(null, Map.of("PIPELINE_API_URL", "http://bad host")::get))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a URL");
    }

    @Test
    void triggerBuildUsesTheResolutionAndTheSecretFromTheInjectedEnvironment() {
        Map<String, String> env =
                Map.of("PIPELINE_API_URL", "https://api.example", "PIPELINE_SIGNING_SECRET", SignatureTest.SECRET);
        try (HttpTrigger trigger = HttpTrigger.builder()
                .environment(env::get)
                .shutdownWait(java.time.Duration.ZERO)
                .build()) {
            assertThat(trigger.baseUrl()).hasToString("https://api.example");
            assertThat(trigger.stageUrl("annotation"))
                    .hasToString("https://api.example/api/batch-processing/annotation");
            assertThatThrownBy(() -> trigger.stageUrl("../x")).isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> HttpTrigger.builder()
                        .environment(
                                Map.of("NODE_ENV", "production", "PIPELINE_SIGNING_SECRET", SignatureTest.SECRET)::get)
                        .build())
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> HttpTrigger.builder()
                        .environment(Map.<String, String>of()::get)
                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("PIPELINE_SIGNING_SECRET");
        assertThatThrownBy(() -> HttpTrigger.builder().baseUrl(" "))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("baseUrl");
    }
}
