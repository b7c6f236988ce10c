package dev.baton.pipeline.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.pipeline.Stage;
import dev.baton.pipeline.StageResult;
import dev.baton.pipeline.dashboard.Authorizer;
import dev.baton.pipeline.dashboard.Dashboard;
import dev.baton.pipeline.dashboard.DashboardAction;
import dev.baton.pipeline.dashboard.DashboardServlet;
import dev.baton.pipeline.testkit.PostgresExtension;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.ApplicationContext;

/** When the dashboard is mounted, where, and which {@link Authorizer} guards its actions. */
class BatonDashboardAutoConfigurationTest {
    @RegisterExtension
    static final PostgresExtension PG = PostgresExtension.create();

    private static final String TOKEN = "a-token-of-24-characters";

    private WebApplicationContextRunner webRunner() {
        return new WebApplicationContextRunner()
                .withConfiguration(
                        AutoConfigurations.of(BatonAutoConfiguration.class, BatonDashboardAutoConfiguration.class))
                .withBean(DataSource.class, PG::dataSource)
                .withBean("only", Stage.class, () -> ctx -> StageResult.done(1))
                .withPropertyValues("baton.stages=only");
    }

    @Test
    void by_default_the_dashboard_is_mounted_read_only_at_baton() {
        webRunner().run(ctx -> {
            assertThat(registration(ctx).getUrlMappings()).containsExactly("/baton/*");
            assertThat(registration(ctx).getServlet()).isInstanceOf(DashboardServlet.class);
            assertThat(session(ctx, "Bearer " + TOKEN)).contains("\"actionsConfigured\":false", "\"granted\":[]");
        });
    }

    @Test
    void baton_dashboard_path_moves_it_and_a_trailing_slash_is_ignored() {
        webRunner()
                .withPropertyValues("baton.dashboard.path=/ops/batches/")
                .run(ctx -> assertThat(registration(ctx).getUrlMappings()).containsExactly("/ops/batches/*"));
    }

    @Test
    void an_admin_token_grants_the_actions_to_its_bearer_only() {
        webRunner().withPropertyValues("baton.dashboard.admin-token=" + TOKEN).run(ctx -> {
            assertThat(session(ctx, "Bearer " + TOKEN)).contains("\"granted\":[\"retry\",\"cancel\",\"restart\"]");
            assertThat(session(ctx, "Bearer not-the-token-at-all")).contains("\"granted\":[]");
        });
    }

    @Test
    void a_too_short_admin_token_fails_start_up_naming_the_property() {
        webRunner()
                .withPropertyValues("baton.dashboard.admin-token=short")
                .run(ctx -> assertThat(ctx.getStartupFailure())
                        .hasStackTraceContaining("baton.dashboard.admin-token (or PIPELINE_ADMIN_TOKEN) is unusable"));
    }

    @Test
    void a_host_authorizer_bean_replaces_the_token_and_the_read_only_default() {
        Authorizer everyone = new Authorizer() {
            @Override
            public Decision authorize(DashboardAction action, Dashboard.Request r) {
                return Decision.granted("everyone");
            }
        };
        webRunner()
                .withPropertyValues("baton.dashboard.admin-token=" + TOKEN)
                .withBean(Authorizer.class, () -> everyone)
                .run(ctx -> assertThat(session(ctx, null)).contains("\"granted\":[\"retry\",\"cancel\",\"restart\"]"));
    }

    @Test
    void baton_dashboard_enabled_false_mounts_nothing() {
        webRunner().withPropertyValues("baton.dashboard.enabled=false").run(ctx -> {
            assertThat(ctx).doesNotHaveBean(Dashboard.class);
            assertThat(ctx).doesNotHaveBean("batonDashboardServlet");
        });
    }

    @Test
    void outside_a_web_application_there_is_no_dashboard() {
        new ApplicationContextRunner()
                .withConfiguration(
                        AutoConfigurations.of(BatonAutoConfiguration.class, BatonDashboardAutoConfiguration.class))
                .withBean(DataSource.class, PG::dataSource)
                .withBean("only", Stage.class, () -> ctx -> StageResult.done(1))
                .withPropertyValues("baton.stages=only")
                .run(ctx -> assertThat(ctx).doesNotHaveBean(Dashboard.class));
    }

    private static ServletRegistrationBean<?> registration(ApplicationContext ctx) {
        return (ServletRegistrationBean<?>) ctx.getBean("batonDashboardServlet");
    }

    private static String session(ApplicationContext ctx, String authorization) {
        Map<String, List<String>> headers =
                authorization == null ? Map.of() : Map.of("Authorization", List.of(authorization));
        Dashboard.Response response = ctx.getBean(Dashboard.class)
                .handle(new Dashboard.Request("GET", "/api/dashboard/session", null, headers, new byte[0]));
        assertThat(response.status()).isEqualTo(200);
        return new String(response.body(), StandardCharsets.UTF_8);
    }
}
