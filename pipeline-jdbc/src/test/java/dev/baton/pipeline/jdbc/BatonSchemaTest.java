package dev.baton.pipeline.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.pipeline.testkit.PostgresExtension;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class BatonSchemaTest {
    @RegisterExtension
    static final PostgresExtension PG = PostgresExtension.create();

    long tables(String like) {
        return new Sql(PG.dataSource()).count("SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()"
                + " AND table_name LIKE ?", like);
    }

    @Test
    void eight_processes_migrating_at_once_create_the_tables_once() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        CountDownLatch go = new CountDownLatch(1);
        try {
            List<Future<List<Integer>>> results = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                results.add(pool.submit(() -> {
                    go.await();
                    return BatonSchema.migrate(PG.dataSource());
                }));
            }
            go.countDown();
            int applied = 0;
            for (Future<List<Integer>> f : results) {
                applied += f.get().size();
            }
            assertThat(applied).isEqualTo(BatonSchema.MIGRATIONS.size());
        } finally {
            pool.shutdownNow();
        }
        assertThat(tables("batch_processing_%")).isEqualTo(2);
        assertThat(BatonSchema.migrate(PG.dataSource())).isEmpty();
    }

    @Test
    void the_seed_names_constraints_and_indexes_are_kept() {
        BatonSchema.migrate(PG.dataSource());
        Sql sql = new Sql(PG.dataSource());
        assertThat(sql.rows("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"))
                .extracting(r -> r.get("indexname"))
                .contains("unique_batch_id", "idx_batch_processing_queue_batch_id", "unique_batch_stage",
                        "idx_batch_processing_data_batch_id", "idx_batch_processing_data_stage");
        assertThat(sql.rows("SELECT reloptions::text AS o FROM pg_class WHERE relname = 'batch_processing_queue'"
                + " AND relnamespace = current_schema()::regnamespace").get(0).get("o").toString()).contains("fillfactor=70");
    }

    @Test
    void a_prefix_and_a_schema_give_separate_tables_that_the_store_uses() {
        new Sql(PG.dataSource()).execute("CREATE SCHEMA " + PG.schema() + "_other");
        try {
            BatonSchema.migrate(PG.dataSource());
            BatonSchema.migrate(PG.dataSource(), null, "acme_");
            BatonSchema.migrate(PG.dataSource(), PG.schema() + "_other", "");
            assertThat(tables("acme_batch_processing_%")).isEqualTo(2);
            JdbcStageStore acme = JdbcStageStore.builder(PG.dataSource()).tablePrefix("acme_").build();
            JdbcStageStore other = JdbcStageStore.builder(PG.dataSource()).schema(PG.schema() + "_other").build();
            acme.create(1, "setup");
            other.create(1, "setup");
            assertThat(JdbcStageStore.builder(PG.dataSource()).build().find(1)).isEmpty();
            assertThat(acme.find(1)).isPresent();
            assertThat(other.find(1)).isPresent();
        } finally {
            new Sql(PG.dataSource()).execute("DROP SCHEMA " + PG.schema() + "_other CASCADE");
        }
    }
}
