package dev.baton.example.objectstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.baton.example.host.HostBatches;
import dev.baton.example.host.HostSchema;
import dev.baton.example.host.StoredObjects;
import dev.baton.example.screenshots.ScreenshotGenerator;
import dev.baton.pipeline.testing.MutableClock;
import dev.baton.pipeline.testkit.PostgresExtension;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class ObjectRouteTest {
    @RegisterExtension
    static final PostgresExtension PG = PostgresExtension.create();

    private final MutableClock clock = MutableClock.at(Instant.now());
    private final ObjectFetcher fetcher = new ObjectFetcher(Duration.ofSeconds(5), 1_000_000);
    private HttpServer server;
    private ObjectUrlSigner signer;

    @BeforeEach
    void serve() throws Exception {
        HostSchema.migrate(PG.dataSource(), HostSchema.TABLES);
        new HostBatches(PG.dataSource(), new ScreenshotGenerator()).createIfAbsent(5, 2);
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        signer = new ObjectUrlSigner(
                "object-test-secret-123",
                URI.create("http://127.0.0.1:" + server.getAddress().getPort()),
                clock);
        server.createContext(ObjectUrlSigner.PATH_PREFIX, new ObjectRoute(new StoredObjects(PG.dataSource()), signer));
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    @Test
    void a_signed_url_fetches_the_stored_png() throws IOException {
        URI url = signer.sign(HostBatches.objectKey(5, 1), Duration.ofMinutes(5));
        assertThat(fetcher.fetch(url))
                .isEqualTo(new ScreenshotGenerator().generate(5, 1).png());
    }

    @Test
    void a_tampered_or_expired_or_unsigned_url_is_refused_and_an_unknown_key_is_not_found() {
        URI url = signer.sign(HostBatches.objectKey(5, 1), Duration.ofMinutes(5));
        URI otherKey = URI.create(url.toString().replace("/1.png", "/0.png"));
        assertThatThrownBy(() -> fetcher.fetch(otherKey)).hasMessageContaining("403");
        URI unsigned = URI.create(url.toString().substring(0, url.toString().indexOf('?')));
        assertThatThrownBy(() -> fetcher.fetch(unsigned))
                .hasMessageContaining("403")
                .hasMessageNotContaining("signature=");
        assertThatThrownBy(() -> fetcher.fetch(signer.sign("screenshots/5/9.png", Duration.ofMinutes(1))))
                .hasMessageContaining("404");
        clock.advance(Duration.ofMinutes(6));
        assertThatThrownBy(() -> fetcher.fetch(url)).hasMessageContaining("403");
    }

    @Test
    void keys_with_path_tricks_cannot_be_signed() {
        assertThatThrownBy(() -> signer.sign("../etc/passwd", Duration.ofMinutes(1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> signer.sign("a/../../b", Duration.ofMinutes(1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(signer.verify("a", "12", "00")).isFalse();
        assertThat(signer.verify("a", "soon", "00")).isFalse();
    }
}
