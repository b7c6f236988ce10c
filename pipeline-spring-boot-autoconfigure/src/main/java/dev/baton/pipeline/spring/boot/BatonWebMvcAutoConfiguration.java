package dev.baton.pipeline.spring.boot;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/** {@link BatonExceptionHandler} in a servlet web application with Spring MVC. */
@AutoConfiguration
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnClass(RestControllerAdvice.class)
public class BatonWebMvcAutoConfiguration {
    /** @return the advice that maps Baton's exceptions to 404 and 409 */
    @Bean
    @ConditionalOnMissingBean
    public BatonExceptionHandler batonExceptionHandler() {
        return new BatonExceptionHandler();
    }
}
