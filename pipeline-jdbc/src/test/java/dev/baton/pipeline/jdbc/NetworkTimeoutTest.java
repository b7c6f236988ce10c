package dev.baton.pipeline.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.baton.pipeline.Pipeline;
import dev.baton.pipeline.spi.StoreException;
import dev.baton.pipeline.testkit.PostgresExtension;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.time.Duration;
import org.jdbi.v3.core.JdbiException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.ds.PGSimpleDataSource;

/** The store's network timeout: its range, its default, what it does to a pooled connection and to a dead one. */
class NetworkTimeoutTest {
    @RegisterExtension
    static final PostgresExtension PG = PostgresExtension.create();

    @BeforeEach
    void schema() {
        BatonSchema.migrate(PG.dataSource());
    }

    @Test
    void the_default_network_timeout_is_a_third_of_the_default_lease() {
        assertThat(JdbcStageStore.DEFAULT_NETWORK_TIMEOUT).isEqualTo(Pipeline.DEFAULT_LEASE.dividedBy(3));
        assertThat(JdbcStageStore.builder(PG.dataSource()).build().networkTimeout())
                .isEqualTo(JdbcStageStore.DEFAULT_NETWORK_TIMEOUT);
    }

    @Test
    void a_network_timeout_outside_100_ms_to_10_min_is_refused_with_the_range() {
        JdbcStageStore.Builder b = JdbcStageStore.builder(PG.dataSource());
        assertThatThrownBy(() -> b.networkTimeout(Duration.ofMillis(99)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("between 100ms and 10min")
                .hasMessageContaining("PT0.099S");
        assertThatThrownBy(() -> b.networkTimeout(Duration.ofMinutes(10).plusMillis(1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> b.networkTimeout(null)).isInstanceOf(NullPointerException.class);
        assertThat(b.networkTimeout(Duration.ofMillis(100))
                        .networkTimeout(Duration.ofMinutes(10))
                        .build()
                        .networkTimeout())
                .isEqualTo(Duration.ofMinutes(10));
    }

    @Test
    void a_pooled_connection_has_the_timeout_while_the_store_holds_it_and_goes_back_with_its_own() throws Exception {
        try (Connection shared = PG.dataSource().getConnection()) {
            shared.setNetworkTimeout(Runnable::run, 7_000);
            PoolOfOne pool = new PoolOfOne(shared);
            TimedDataSource timed = new TimedDataSource(pool, Duration.ofMillis(1_500));
            try (Connection held = timed.getConnection()) {
                assertThat(held.getNetworkTimeout()).isEqualTo(1_500);
                assertThat(held.unwrap(org.postgresql.PGConnection.class)).isNotNull();
            }
            assertThat(shared.getNetworkTimeout())
                    .as("the pool's own value, back")
                    .isEqualTo(7_000);

            JdbcStageStore store = JdbcStageStore.builder(pool)
                    .networkTimeout(Duration.ofMillis(2_500))
                    .build();
            store.create(1, "setup");
            assertThat(store.find(1)).isPresent();
            assertThat(shared.getNetworkTimeout()).isEqualTo(7_000);
        }
    }

    @Test
    void a_store_call_on_a_connection_the_network_dropped_fails_instead_of_waiting_for_ever() throws Exception {
        java.util.regex.Matcher server = java.util.regex.Pattern.compile("jdbc:postgresql://([^:/?]+):([0-9]+)/")
                .matcher(PG.jdbcUrl());
        assertThat(server.find()).isTrue();
        try (FreezingProxy proxy = new FreezingProxy(server.group(1), Integer.parseInt(server.group(2)))) {
            PGSimpleDataSource direct = new PGSimpleDataSource();
            direct.setURL(server.replaceFirst("jdbc:postgresql://127.0.0.1:" + proxy.port() + "/"));
            try (Connection shared = direct.getConnection()) {
                JdbcStageStore store = JdbcStageStore.builder(new PoolOfOne(shared))
                        .networkTimeout(Duration.ofMillis(500))
                        .build();
                store.create(1, "setup");
                proxy.freeze();
                assertTimeoutPreemptively(
                        Duration.ofSeconds(30),
                        () -> assertThatThrownBy(() -> store.findStalled(Duration.ZERO, 10))
                                .isInstanceOf(StoreException.class)
                                .hasMessageContaining("finding stalled batches failed")
                                .hasCauseInstanceOf(JdbiException.class)
                                .hasRootCauseInstanceOf(java.net.SocketTimeoutException.class));
                assertThat(shared.isClosed())
                        .as("the driver closed the dead connection")
                        .isTrue();
            }
        }
    }

    /**
     * A pool holding one connection: closing what it hands out leaves the connection open, as returning it to a pool
     * does.
     */
    static final class PoolOfOne extends DataSourceStub {
        private final Connection connection;

        PoolOfOne(Connection connection) {
            this.connection = connection;
        }

        @Override
        public Connection getConnection() {
            return (Connection) Proxy.newProxyInstance(
                    Connection.class.getClassLoader(), new Class<?>[] {Connection.class}, (proxy, method, args) -> {
                        if (method.getName().equals("close")) {
                            return null;
                        }
                        try {
                            return method.invoke(connection, args);
                        } catch (java.lang.reflect.InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
        }
    }
}
