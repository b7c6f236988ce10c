package dev.baton.example.stages;

import com.sun.net.httpserver.HttpServer;
import dev.baton.example.host.AnalysisWriter;
import dev.baton.example.host.HostBatches;
import dev.baton.example.host.HostSchema;
import dev.baton.example.host.StoredObjects;
import dev.baton.example.objectstore.ObjectFetcher;
import dev.baton.example.objectstore.ObjectRoute;
import dev.baton.example.objectstore.ObjectUrlSigner;
import dev.baton.example.screenshots.ScreenshotGenerator;
import dev.baton.example.testing.PooledDatabase;
import dev.baton.example.vision.SimulatedVisionModel;
import dev.baton.pipeline.testkit.PostgresExtension;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import javax.sql.DataSource;

/** The host side of the example on a test database: its tables, a served object store, and the pipeline's parts. */
final class HostFixture implements AutoCloseable {
    final DataSource dataSource;
    final HostBatches batches;
    final ObjectUrlSigner signer;
    final ScreenshotPipeline parts;
    private final HttpServer server;

    private final PooledDatabase pool;

    HostFixture(PostgresExtension pg) throws SQLException, IOException {
        this.pool = new PooledDatabase(pg);
        this.dataSource = pool.dataSource();
        HostSchema.migrate(dataSource, HostSchema.TABLES);
        this.batches = new HostBatches(dataSource, new ScreenshotGenerator());
        this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        URI base = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
        this.signer = new ObjectUrlSigner("test-secret", base, Clock.systemUTC());
        server.createContext(ObjectUrlSigner.PATH_PREFIX, new ObjectRoute(new StoredObjects(dataSource), signer));
        server.start();
        this.parts = new ScreenshotPipeline(
                batches,
                signer,
                new ObjectFetcher(Duration.ofSeconds(5), 10_000_000),
                new SimulatedVisionModel(),
                new AnalysisWriter(dataSource),
                1);
    }

    @Override
    public void close() {
        server.stop(0);
        pool.close();
    }
}
