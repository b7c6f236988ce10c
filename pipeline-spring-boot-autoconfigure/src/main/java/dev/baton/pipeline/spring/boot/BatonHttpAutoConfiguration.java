package dev.baton.pipeline.spring.boot;

import dev.baton.pipeline.PipelineRunner;
import dev.baton.pipeline.http.HttpTrigger;
import dev.baton.pipeline.http.RequestSigner;
import dev.baton.pipeline.http.SignatureVerifier;
import dev.baton.pipeline.http.StageEndpoint;
import dev.baton.pipeline.http.StagePath;
import dev.baton.pipeline.servlet.StageServlet;
import dev.baton.pipeline.spi.Trigger;
import dev.baton.pipeline.spring.boot.BatonProperties.TriggerKind;
import dev.baton.pipeline.spring.boot.internal.ConditionalOnTrigger;
import dev.baton.pipeline.spring.boot.internal.LazyHttpTrigger;
import dev.baton.pipeline.spring.boot.internal.ServerBaseUrl;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * Baton over HTTP in a servlet web application: with {@code baton.trigger=http} the {@link HttpTrigger} (signed
 * requests to this server's own actual port unless {@code baton.http.base-url} says otherwise) and the signed stage
 * route at {@code baton.http.stage-path}; with {@code baton.http.client-routes=true}, with any trigger,
 * {@code POST /api/process-batch} and {@code GET /api/batches/{id}} behind the {@link BatonClientAuthorizer}. The
 * routes are a {@link StageServlet} (a {@link StageEndpoint}) registered beside the DispatcherServlet, so the
 * status codes and the signature check are the endpoint's.
 */
@AutoConfiguration(after = BatonAutoConfiguration.class)
@ConditionalOnClass({HttpTrigger.class, StageServlet.class})
public class BatonHttpAutoConfiguration {
    /** The environment variable read when {@code baton.http.signing-secret} is unset. */
    public static final String SECRET_ENV = RequestSigner.SECRET_ENV;

    /** {@code baton.trigger=http}: the trigger and the verifier of its requests. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnTrigger(TriggerKind.HTTP)
    static class HttpTriggerConfiguration {
        @Bean(destroyMethod = "")
        @ConditionalOnMissingBean(Trigger.class)
        LazyHttpTrigger batonTrigger(BatonProperties properties, ApplicationContext context, Environment env) {
            String secret = secret(properties, env);
            BatonProperties.Http http = properties.getHttp();
            StagePath path = StagePath.of(http.getStagePath());
            return new LazyHttpTrigger(() -> HttpTrigger.builder()
                    .secret(secret)
                    .stagePath(path)
                    .baseUrl(http.getBaseUrl() != null ? http.getBaseUrl() : ServerBaseUrl.of(context, env))
                    .build());
        }

        @Bean
        @ConditionalOnMissingBean
        SignatureVerifier batonSignatureVerifier(BatonProperties properties, Environment env) {
            return SignatureVerifier.builder().secret(secret(properties, env)).build();
        }
    }

    /** The routes, in a servlet web application with a runner. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
    @ConditionalOnClass(ServletRegistrationBean.class)
    static class Routes {
        @Bean
        @ConditionalOnMissingBean
        BatonClientAuthorizer batonClientAuthorizer() {
            return request -> true;
        }

        @Bean
        @ConditionalOnMissingBean
        @ConditionalOnBean(PipelineRunner.class)
        StageEndpoint batonStageEndpoint(
                PipelineRunner runner,
                ObjectProvider<SignatureVerifier> verifier,
                BatonClientAuthorizer authorizer,
                BatonProperties properties) {
            // without the HTTP trigger no stage route is mapped, so this verifier's random secret is never asked
            SignatureVerifier v = verifier.getIfAvailable(() -> SignatureVerifier.builder()
                    .secret(HexFormat.of().formatHex(new SecureRandom().generateSeed(32)))
                    .build());
            return StageEndpoint.builder(runner, v)
                    .stagePath(properties.getHttp().getStagePath())
                    .clientAuthorizer(authorizer::authorize)
                    .build();
        }

        @Bean
        @ConditionalOnMissingBean(name = "batonStageServlet")
        @ConditionalOnBean(StageEndpoint.class)
        ServletRegistrationBean<StageServlet> batonStageServlet(StageEndpoint endpoint, BatonProperties properties) {
            List<String> mappings = new ArrayList<>();
            if (properties.getTrigger() == TriggerKind.HTTP) {
                mappings.add(endpoint.stagePath().value() + "*");
            }
            if (properties.getHttp().isClientRoutes()) {
                mappings.add(StageEndpoint.START_PATH);
                mappings.add(StageEndpoint.STATUS_PREFIX + "*");
            }
            ServletRegistrationBean<StageServlet> registration =
                    new ServletRegistrationBean<>(new StageServlet(endpoint), mappings.toArray(String[]::new));
            registration.setName("batonStageServlet");
            registration.setEnabled(!mappings.isEmpty());
            registration.setLoadOnStartup(1);
            return registration;
        }
    }

    static String secret(BatonProperties properties, Environment env) {
        String secret = properties.getHttp().getSigningSecret();
        if (secret == null || secret.isBlank()) {
            secret = env.getProperty(SECRET_ENV);
        }
        if (secret == null || secret.isBlank()) {
            throw new IllegalStateException("baton.trigger=http signs every stage request, and this service has no"
                    + " secret to sign with: set baton.http.signing-secret or the environment variable " + SECRET_ENV
                    + " (at least 16 bytes, the same in every process of this pipeline)");
        }
        return secret;
    }
}
