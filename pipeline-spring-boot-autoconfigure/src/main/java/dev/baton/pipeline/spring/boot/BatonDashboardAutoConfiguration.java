package dev.baton.pipeline.spring.boot;

import dev.baton.pipeline.BatchClient;
import dev.baton.pipeline.dashboard.Authorizer;
import dev.baton.pipeline.dashboard.Dashboard;
import dev.baton.pipeline.dashboard.DashboardServlet;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

/**
 * The operator dashboard of {@code pipeline-dashboard} in a servlet web application: a {@link DashboardServlet} at
 * {@code baton.dashboard.path} (default {@code /baton}) over the {@link BatchClient} bean. Actions are granted by
 * the host's {@link Authorizer} bean if there is one, else to {@code Authorization: Bearer <token>} when
 * {@code baton.dashboard.admin-token} (or the environment variable {@value #TOKEN_ENV}) is set, else to nobody
 * (read-only). {@code baton.dashboard.enabled=false} turns it off.
 */
@AutoConfiguration(after = BatonAutoConfiguration.class)
@ConditionalOnClass({Dashboard.class, ServletRegistrationBean.class})
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnProperty(prefix = "baton.dashboard", name = "enabled", havingValue = "true", matchIfMissing = true)
@ConditionalOnBean(BatchClient.class)
public class BatonDashboardAutoConfiguration {
    /** The environment variable read when {@code baton.dashboard.admin-token} is unset. */
    public static final String TOKEN_ENV = "PIPELINE_ADMIN_TOKEN";

    /** The principal that actions granted to the admin token are logged with. */
    static final String TOKEN_PRINCIPAL = "admin";

    /**
     * @param client the batches the dashboard reads and acts on
     * @param authorizer the host's, when it defines one
     * @param properties {@code baton.dashboard.*} and the sweeper's pending grace
     * @param env where {@value #TOKEN_ENV} is read
     * @return the dashboard
     */
    @Bean
    @ConditionalOnMissingBean
    public Dashboard batonDashboard(
            BatchClient client, ObjectProvider<Authorizer> authorizer, BatonProperties properties, Environment env) {
        return Dashboard.builder(client)
                .authorizer(authorizer.getIfAvailable(() -> defaultAuthorizer(properties, env)))
                .stalledAfter(properties.getSweeper().getPendingGrace())
                .build();
    }

    /**
     * @param dashboard the dashboard to serve
     * @param properties {@code baton.dashboard.path}
     * @return the servlet at {@code <path>/*}
     */
    @Bean
    @ConditionalOnMissingBean(name = "batonDashboardServlet")
    public ServletRegistrationBean<DashboardServlet> batonDashboardServlet(
            Dashboard dashboard, BatonProperties properties) {
        ServletRegistrationBean<DashboardServlet> registration =
                new ServletRegistrationBean<>(new DashboardServlet(dashboard), mapping(properties));
        registration.setName("batonDashboardServlet");
        return registration;
    }

    static String mapping(BatonProperties properties) {
        String path = properties.getDashboard().getPath().strip();
        while (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        if (path.isEmpty()) {
            throw new IllegalStateException("baton.dashboard.path must not be the root: the dashboard needs a path"
                    + " of its own such as /baton");
        }
        return (path.startsWith("/") ? path : "/" + path) + "/*";
    }

    private static Authorizer defaultAuthorizer(BatonProperties properties, Environment env) {
        String token = properties.getDashboard().getAdminToken();
        if (token == null || token.isBlank()) {
            token = env.getProperty(TOKEN_ENV);
        }
        if (token == null || token.isBlank()) {
            return Authorizer.readOnly();
        }
        try {
            return Authorizer.bearerToken(token, TOKEN_PRINCIPAL);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(
                    "baton.dashboard.admin-token (or " + TOKEN_ENV + ") is unusable: " + e.getMessage(), e);
        }
    }
}
