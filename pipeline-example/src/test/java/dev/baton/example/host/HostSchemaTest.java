package dev.baton.example.host;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.example.screenshots.ScreenshotGenerator;
import dev.baton.pipeline.testkit.PostgresExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class HostSchemaTest {
    @RegisterExtension
    static final PostgresExtension PG = PostgresExtension.create();

    @Test
    void migrating_twice_applies_each_migration_once() throws Exception {
        assertThat(HostSchema.migrate(PG.dataSource(), HostSchema.TABLES)).isEqualTo(1);
        assertThat(HostSchema.migrate(PG.dataSource(), HostSchema.TABLES)).isZero();
    }

    @Test
    void a_batch_is_created_once_with_its_screenshots_and_moves_through_its_statuses() throws Exception {
        HostSchema.migrate(PG.dataSource(), HostSchema.TABLES);
        HostBatches batches = new HostBatches(PG.dataSource(), new ScreenshotGenerator());

        assertThat(batches.createIfAbsent(9, 3)).isTrue();
        assertThat(batches.createIfAbsent(9, 5)).isFalse();
        assertThat(batches.screenshots(9)).extracting(ScreenshotRow::position).containsExactly(0, 1, 2);
        assertThat(batches.find(9))
                .get()
                .extracting(HostBatch::status, HostBatch::screenshotCount)
                .containsExactly("pending", 3);
        assertThat(batches.markProcessing(9)).isTrue();
        assertThat(batches.markProcessing(9))
                .as("only a pending batch moves to processing")
                .isFalse();
        assertThat(batches.markFailed(9, "stage setup failed: boom")).isTrue();
        assertThat(batches.find(9).orElseThrow().error()).isEqualTo("stage setup failed: boom");
        assertThat(batches.statuses(java.util.List.of(9L, 10L))).containsExactly(java.util.Map.entry(9L, "failed"));
        assertThat(batches.markFailed(10, "x")).isFalse();
    }
}
