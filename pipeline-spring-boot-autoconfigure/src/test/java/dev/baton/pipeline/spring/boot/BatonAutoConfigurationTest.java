package dev.baton.pipeline.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.pipeline.BatchClient;
import dev.baton.pipeline.InProcessTrigger;
import dev.baton.pipeline.Pipeline;
import dev.baton.pipeline.PipelineRunner;
import dev.baton.pipeline.RetryPolicy;
import dev.baton.pipeline.Stage;
import dev.baton.pipeline.StageResult;
import dev.baton.pipeline.http.StageEndpoint;
import dev.baton.pipeline.jdbc.JdbcStageStore;
import dev.baton.pipeline.jdbc.QueueTrigger;
import dev.baton.pipeline.jdbc.QueueWorker;
import dev.baton.pipeline.servlet.StageServlet;
import dev.baton.pipeline.spi.StageStore;
import dev.baton.pipeline.spi.Trigger;
import dev.baton.pipeline.spring.boot.internal.LazyHttpTrigger;
import dev.baton.pipeline.testing.InMemoryStageStore;
import dev.baton.pipeline.testing.SynchronousTrigger;
import dev.baton.pipeline.testkit.PostgresExtension;
import java.time.Duration;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** What each {@code baton.*} property selects, and which beans back off when the host defines its own. */
class BatonAutoConfigurationTest {
    @RegisterExtension
    static final PostgresExtension PG = PostgresExtension.create();

    private static final AutoConfigurations BATON = AutoConfigurations.of(
            BatonAutoConfiguration.class,
            BatonHttpAutoConfiguration.class,
            BatonHealthAutoConfiguration.class,
            BatonWebMvcAutoConfiguration.class);

    private ApplicationContextRunner runner() {
        return new ApplicationContextRunner()
                .withConfiguration(BATON)
                .withBean(DataSource.class, PG::dataSource)
                .withUserConfiguration(TwoStages.class)
                .withPropertyValues("baton.stages=fetch,total");
    }

    private WebApplicationContextRunner webRunner() {
        return new WebApplicationContextRunner()
                .withConfiguration(BATON)
                .withBean(DataSource.class, PG::dataSource)
                .withUserConfiguration(TwoStages.class)
                .withPropertyValues("baton.stages=fetch,total");
    }

    @Configuration(proxyBeanMethods = false)
    static class TwoStages {
        @Bean
        Stage fetch() {
            return ctx -> StageResult.done(1);
        }

        @Bean
        Stage total() {
            return ctx -> StageResult.done(2);
        }

        @Bean
        Stage unused() {
            return ctx -> StageResult.done(3);
        }
    }

    @Test
    void by_default_it_migrates_and_builds_the_store_the_pipeline_in_order_an_in_process_trigger_and_the_rest() {
        runner().withPropertyValues("baton.stages=total,fetch").run(ctx -> {
            assertThat(ctx).hasNotFailed();
            assertThat(ctx).hasSingleBean(BatonSchemaInitializer.class);
            assertThat(ctx).hasSingleBean(JdbcStageStore.class);
            assertThat(ctx.getBean(Pipeline.class).stageNames()).containsExactly("total", "fetch");
            assertThat(ctx.getBean(Trigger.class)).isInstanceOf(InProcessTrigger.class);
            assertThat(ctx).hasSingleBean(PipelineRunner.class);
            assertThat(ctx).hasSingleBean(BatchClient.class);
            assertThat(ctx).hasSingleBean(BatonSweeper.class);
            assertThat(ctx).hasSingleBean(BatonHealthIndicator.class);
            assertThat(ctx).doesNotHaveBean(QueueWorker.class);
            assertThat(ctx).doesNotHaveBean(StageEndpoint.class);
            assertThat(ctx.getBean(BatonLifecycle.class).isRunning()).isTrue();
            assertThat(ctx.getBean(BatonSweeper.class).isRunning()).isTrue();
        });
    }

    @Test
    void the_stage_properties_set_each_stages_retry_and_budget_and_a_customiser_runs_after_them() {
        runner().withPropertyValues(
                        "baton.stage.fetch.retry.max-attempts=5",
                        "baton.stage.fetch.retry.initial-backoff=2s",
                        "baton.stage.total.budget=20s")
                .withBean(BatonStageCustomizer.class, () -> (stage, settings) -> {
                    if (stage.equals("total")) {
                        settings.retry(RetryPolicy.none());
                    }
                })
                .run(ctx -> {
                    Pipeline pipeline = ctx.getBean(Pipeline.class);
                    assertThat(pipeline.stage("fetch").retry().maxAttempts()).isEqualTo(5);
                    assertThat(pipeline.stage("fetch").retry().initialBackoff()).isEqualTo(Duration.ofSeconds(2));
                    assertThat(pipeline.stage("fetch").budget()).isEqualTo(Pipeline.DEFAULT_BUDGET);
                    assertThat(pipeline.stage("total").budget()).isEqualTo(Duration.ofSeconds(20));
                    assertThat(pipeline.stage("total").retry().maxAttempts()).isEqualTo(1);
                });
    }

    @Test
    void an_unknown_name_in_baton_stages_fails_start_up_naming_it_and_the_stage_beans() {
        runner().withPropertyValues("baton.stages=fetch,totl")
                .run(ctx -> assertThat(ctx)
                        .getFailure()
                        .rootCause()
                        .hasMessageContaining("baton.stages names [totl], but no Stage bean has that name")
                        .hasMessageContaining("[fetch, total, unused]"));
    }

    @Test
    void settings_for_a_stage_that_baton_stages_does_not_list_fail_start_up() {
        runner().withPropertyValues("baton.stage.totl.budget=5s")
                .run(ctx -> assertThat(ctx)
                        .getFailure()
                        .rootCause()
                        .hasMessageContaining("baton.stage.totl.* configures a stage that baton.stages does not list"));
    }

    @Test
    void the_group_commit_properties_reach_the_store_and_a_size_out_of_range_fails_start_up_with_the_range() {
        runner().withPropertyValues("baton.jdbc.group-commit-size=1", "baton.jdbc.group-commit-linger=2ms")
                .run(ctx -> assertThat(ctx).hasNotFailed().hasSingleBean(JdbcStageStore.class));
        runner().withPropertyValues("baton.jdbc.group-commit-size=0")
                .run(ctx -> assertThat(ctx)
                        .getFailure()
                        .rootCause()
                        .hasMessageContaining(
                                "groupCommit maxSize must be between 1 (no group commit) and 1000, got 0"));
        runner().withPropertyValues("baton.jdbc.group-commit-linger=1s")
                .run(ctx -> assertThat(ctx)
                        .getFailure()
                        .rootCause()
                        .hasMessageContaining("groupCommit linger must be between 0 and 100 ms"));
    }

    @Test
    void without_baton_stages_start_up_fails_saying_what_to_set() {
        new ApplicationContextRunner()
                .withConfiguration(BATON)
                .withBean(DataSource.class, PG::dataSource)
                .withUserConfiguration(TwoStages.class)
                .run(ctx -> assertThat(ctx)
                        .getFailure()
                        .rootCause()
                        .hasMessageContaining("set baton.stages to the names of your Stage beans"));
    }

    @Test
    void trigger_queue_selects_the_queue_trigger_and_its_worker() {
        runner().withPropertyValues("baton.trigger=queue").run(ctx -> {
            assertThat(ctx).hasNotFailed();
            assertThat(ctx.getBean(Trigger.class)).isInstanceOf(QueueTrigger.class);
            assertThat(ctx).hasSingleBean(QueueWorker.class);
        });
    }

    @Test
    void trigger_http_mounts_the_signed_stage_route_only_and_client_routes_add_the_start_and_status_routes() {
        webRunner()
                .withPropertyValues(
                        "baton.trigger=http",
                        "baton.http.signing-secret=0123456789abcdef0123",
                        "baton.http.base-url=http://localhost:9")
                .run(ctx -> {
                    assertThat(ctx).hasNotFailed();
                    assertThat(ctx.getBean(Trigger.class)).isInstanceOf(LazyHttpTrigger.class);
                    assertThat(servlet(ctx.getBean("batonStageServlet")).getUrlMappings())
                            .containsExactly("/api/batch-processing/*");
                });
        webRunner()
                .withPropertyValues(
                        "baton.trigger=http",
                        "baton.http.stage-path=/jobs/stages/",
                        "baton.http.client-routes=true",
                        "baton.http.base-url=http://localhost:9",
                        "PIPELINE_SIGNING_SECRET=0123456789abcdef0123")
                .run(ctx -> {
                    assertThat(ctx).hasNotFailed();
                    assertThat(ctx.getBean(StageEndpoint.class).stagePath().value())
                            .isEqualTo("/jobs/stages/");
                    assertThat(servlet(ctx.getBean("batonStageServlet")).getUrlMappings())
                            .containsExactly("/jobs/stages/*", "/api/process-batch", "/api/batches/*");
                });
    }

    @Test
    void client_routes_without_the_http_trigger_mount_only_the_start_and_status_routes() {
        webRunner().withPropertyValues("baton.http.client-routes=true").run(ctx -> {
            assertThat(ctx.getBean(Trigger.class)).isInstanceOf(InProcessTrigger.class);
            assertThat(servlet(ctx.getBean("batonStageServlet")).getUrlMappings())
                    .containsExactly("/api/process-batch", "/api/batches/*");
        });
    }

    @Test
    void trigger_http_without_a_signing_secret_fails_start_up_naming_the_property_and_the_variable() {
        webRunner()
                .withPropertyValues("baton.trigger=http")
                .run(ctx -> assertThat(ctx)
                        .getFailure()
                        .rootCause()
                        .hasMessageContaining("set baton.http.signing-secret or the environment variable"
                                + " PIPELINE_SIGNING_SECRET"));
    }

    @Test
    void the_host_s_own_pipeline_trigger_store_authorizer_and_exception_handler_win() {
        InMemoryStageStore store = new InMemoryStageStore();
        Pipeline own =
                Pipeline.builder().stage("only", ctx -> StageResult.done(0)).build();
        BatonClientAuthorizer nobody = r -> false;
        BatonExceptionHandler handler = new BatonExceptionHandler();
        webRunner()
                .withPropertyValues("baton.http.client-routes=true")
                .withBean(Pipeline.class, () -> own)
                .withBean(Trigger.class, SynchronousTrigger::new)
                .withBean(StageStore.class, () -> store)
                .withBean(BatonClientAuthorizer.class, () -> nobody)
                .withBean(BatonExceptionHandler.class, () -> handler)
                .run(ctx -> {
                    assertThat(ctx).hasNotFailed();
                    assertThat(ctx.getBean(Pipeline.class)).isSameAs(own);
                    assertThat(ctx.getBean(Trigger.class)).isInstanceOf(SynchronousTrigger.class);
                    assertThat(ctx.getBean(StageStore.class)).isSameAs(store);
                    assertThat(ctx).doesNotHaveBean(JdbcStageStore.class);
                    assertThat(ctx.getBean(BatonClientAuthorizer.class)).isSameAs(nobody);
                    assertThat(ctx.getBean(BatonExceptionHandler.class)).isSameAs(handler);
                    assertThat(ctx.getBean(PipelineRunner.class).pipeline()).isSameAs(own);
                    StageEndpoint.Response refused = ctx.getBean(StageEndpoint.class)
                            .handle(new StageEndpoint.Request("GET", "/api/batches/1", null, null));
                    assertThat(refused.status()).isEqualTo(401);
                });
    }

    @Test
    void the_host_s_own_runner_wins_and_migrations_and_the_sweeper_can_be_switched_off() {
        runner().withPropertyValues("baton.sweeper.enabled=false").run(ctx -> {
            assertThat(ctx).doesNotHaveBean(BatonSweeper.class);
            assertThat(ctx.getBean(BatonLifecycle.class).isRunning()).isTrue();
        });
        // the tables exist now: the store's schema check passes without migrating again
        runner().withPropertyValues("baton.jdbc.migrate=false").run(ctx -> {
            assertThat(ctx).hasNotFailed();
            assertThat(ctx).doesNotHaveBean(BatonSchemaInitializer.class);
        });
        PipelineRunner own = PipelineRunner.builder(
                        Pipeline.builder()
                                .stage("only", c -> StageResult.done(0))
                                .build(),
                        new InMemoryStageStore())
                .trigger(new SynchronousTrigger())
                .build();
        runner().withBean(PipelineRunner.class, () -> own)
                .run(ctx -> assertThat(ctx.getBean(PipelineRunner.class)).isSameAs(own));
    }

    @Test
    void without_the_tables_and_with_migrations_off_start_up_fails_naming_the_missing_table() {
        runner().withPropertyValues("baton.jdbc.migrate=false")
                .run(ctx -> assertThat(ctx).getFailure().rootCause().hasMessageContaining("batch_processing_queue"));
    }

    private static ServletRegistrationBean<?> servlet(Object bean) {
        assertThat(bean).isInstanceOf(ServletRegistrationBean.class);
        ServletRegistrationBean<?> registration = (ServletRegistrationBean<?>) bean;
        assertThat(registration.getServlet()).isInstanceOf(StageServlet.class);
        return registration;
    }
}
