package dev.baton.pipeline.spring.testkit;

import dev.baton.pipeline.testkit.PostgresExtension;
import java.sql.SQLException;
import java.util.Map;
import org.springframework.beans.factory.support.DefaultSingletonBeanRegistry;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.MapPropertySource;

/**
 * Points {@code spring.datasource.url} at a fresh schema of the test JVM's one embedded PostgreSQL 17 (started on
 * first use and shared with {@link PostgresExtension}), or of the server named by
 * {@link PostgresExtension#JDBC_URL_VARIABLE}. The schema belongs to the application context: it is created when
 * the context is initialised, lives as long as the cached context, and is dropped after the context's beans (the
 * DataSource among them) are destroyed. Use it with {@link BatonPostgres}, or directly:
 * {@code @ContextConfiguration(initializers = BatonPostgresInitializer.class)}.
 */
public class BatonPostgresInitializer implements ApplicationContextInitializer<ConfigurableApplicationContext> {
    /** The name of the property source that holds the data source's URL. */
    public static final String PROPERTY_SOURCE = "batonPostgres";

    @Override
    public void initialize(ConfigurableApplicationContext context) {
        PostgresExtension postgres = PostgresExtension.create();
        try {
            // the extension's set-up takes nothing from JUnit: it creates the schema and the data source for it
            postgres.beforeEach(null);
        } catch (SQLException e) {
            throw new IllegalStateException("could not create a schema for the test's application context", e);
        }
        context.getEnvironment()
                .getPropertySources()
                .addFirst(new MapPropertySource(
                        PROPERTY_SOURCE,
                        Map.of(
                                "spring.datasource.url", postgres.jdbcUrl(),
                                "baton.test.schema", postgres.schema())));
        if (context.getBeanFactory() instanceof DefaultSingletonBeanRegistry registry) {
            // registered before every other bean, so destroyed after them all
            registry.registerDisposableBean("batonPostgresSchema", () -> postgres.afterEach(null));
        }
    }
}
