package dev.baton.pipeline.spring.testkit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.springframework.test.context.ContextConfiguration;

/**
 * Gives a Spring test's application context its own empty schema on the test JVM's one embedded PostgreSQL 17 (or
 * on the server named by {@code PIPELINE_TEST_JDBC_URL}), through {@link BatonPostgresInitializer}: the context
 * is cached as usual, and every test class with the same configuration shares it and its schema.
 *
 * <pre>{@code
 * @SpringBootTest
 * @BatonPostgres(cleanAfterEach = true, tables = "order_totals")
 * class OrdersTest { ... }
 * }</pre>
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ContextConfiguration(initializers = BatonPostgresInitializer.class)
public @interface BatonPostgres {
    /**
     * @return whether Baton's tables (and {@link #tables()}) are emptied after each test method, so that each
     *     test starts without batches; off by default
     */
    boolean cleanAfterEach() default false;

    /** @return more tables of the host's to empty after each test when {@link #cleanAfterEach()} is on */
    String[] tables() default {};
}
