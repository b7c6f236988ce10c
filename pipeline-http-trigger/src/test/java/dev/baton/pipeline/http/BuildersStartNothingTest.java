package dev.baton.pipeline.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.baton.pipeline.PipelineRunner;
import dev.baton.pipeline.testing.InMemoryStageStore;
import dev.baton.pipeline.testing.SynchronousTrigger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * One construction style: {@code build()} starts nothing (no thread, no socket), {@code start()} starts,
 * {@code close()} stops and may be called again.
 */
class BuildersStartNothingTest {

    /** @return the live threads the HTTP parts (and the JDK client's selector) run on */
    static Set<Thread> httpThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("baton-http") || t.getName().contains("SelectorManager"))
                .collect(Collectors.toSet());
    }

    static StageEndpoint endpoint() {
        PipelineRunner runner = PipelineRunner.builder(SixStages.pipeline(), new InMemoryStageStore())
                .trigger(new SynchronousTrigger())
                .build();
        return StageEndpoint.builder(runner, SignatureTest.verifier().build()).build();
    }

    @Test
    void building_an_http_trigger_starts_no_thread_and_a_fire_before_start_says_to_start_the_runner() throws Exception {
        Set<Thread> before = httpThreads();
        HttpTrigger trigger = HttpTrigger.builder()
                .baseUrl("http://127.0.0.1:9")
                .secret(SignatureTest.SECRET)
                .shutdownWait(Duration.ZERO)
                .build();

        assertThat(httpThreads()).isSubsetOf(before);
        assertThatThrownBy(() -> trigger.fire(1, "setup"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("batch 1 stage setup")
                .hasMessageContaining("PipelineRunner.start()");
        assertThatThrownBy(() -> trigger.fireAfter(1, "setup", Duration.ofSeconds(1)))
                .isInstanceOf(IllegalStateException.class);

        trigger.start();
        trigger.start();
        trigger.close();
        trigger.close();
        assertThatThrownBy(trigger::start)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
    }

    @Test
    void the_runner_starts_its_http_trigger() throws Exception {
        HttpTrigger trigger = HttpTrigger.builder()
                .baseUrl("http://127.0.0.1:9")
                .secret(SignatureTest.SECRET)
                .shutdownWait(Duration.ZERO)
                .build();
        try (PipelineRunner runner = PipelineRunner.builder(SixStages.pipeline(), new InMemoryStageStore())
                .trigger(trigger)
                .build()) {
            runner.start();
            assertThatCode(() -> trigger.fire(1, "setup")).doesNotThrowAnyException();
        }
        assertThatThrownBy(trigger::start).as("the runner closed it").isInstanceOf(IllegalStateException.class);
    }

    @Test
    void building_a_stage_http_server_binds_nothing_until_it_is_started() throws Exception {
        int port = TinyServer.freePort();
        StageEndpoint endpoint = endpoint();
        Set<Thread> before = httpThreads();

        StageHttpServer server = StageHttpServer.builder(endpoint)
                .address(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))
                .stopWait(Duration.ZERO)
                .build();

        assertThat(httpThreads()).isSubsetOf(before);
        try (ServerSocket free = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            assertThat(free.getLocalPort()).as("the port is still free").isEqualTo(port);
        }
        assertThatThrownBy(server::port)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("start()");

        server.start();
        server.start();
        assertThat(server.port()).isEqualTo(port);
        assertThat(RawHttp.get(server.baseUrl(), "/health").status()).isEqualTo(200);
        server.close();
        server.close();
        assertThatThrownBy(server::start)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
    }

    @Test
    void closing_a_server_that_never_started_binds_nothing_afterwards() {
        StageEndpoint endpoint = endpoint();
        StageHttpServer server = StageHttpServer.builder(endpoint).build();

        server.close();

        assertThatThrownBy(server::start).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(server::address)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
    }
}
