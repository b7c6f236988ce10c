package dev.baton.pipeline.spring.testkit;

import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.test.context.TestContext;
import org.springframework.test.context.support.AbstractTestExecutionListener;

/**
 * Empties Baton's tables ({@code batch_processing_queue}, {@code batch_processing_data}) and the
 * {@link BatonPostgres#tables()} after each test method of a class marked {@code @BatonPostgres(cleanAfterEach =
 * true)}, with one {@code TRUNCATE} through the context's DataSource. Registered for every Spring test through
 * {@code META-INF/spring.factories}; it does nothing elsewhere.
 */
public class BatonPostgresCleaner extends AbstractTestExecutionListener {
    /** Baton's tables with the default names. */
    public static final List<String> BATON_TABLES = List.of("batch_processing_queue", "batch_processing_data");

    @Override
    public int getOrder() {
        return 5_000;
    }

    @Override
    public void afterTestMethod(TestContext testContext) throws Exception {
        BatonPostgres settings =
                AnnotatedElementUtils.findMergedAnnotation(testContext.getTestClass(), BatonPostgres.class);
        if (settings == null || !settings.cleanAfterEach()) {
            return;
        }
        List<String> tables = new ArrayList<>(BATON_TABLES);
        tables.addAll(List.of(settings.tables()));
        DataSource dataSource = testContext.getApplicationContext().getBean(DataSource.class);
        try (Connection c = dataSource.getConnection();
                Statement s = c.createStatement()) {
            s.execute("TRUNCATE " + String.join(", ", tables));
        }
    }
}
