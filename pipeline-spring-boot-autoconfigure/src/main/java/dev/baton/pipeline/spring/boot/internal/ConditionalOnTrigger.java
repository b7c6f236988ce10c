package dev.baton.pipeline.spring.boot.internal;

import dev.baton.pipeline.spring.boot.BatonProperties.TriggerKind;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.springframework.context.annotation.Conditional;

/** Applies a configuration or bean only when {@code baton.trigger} is the given kind (default: in-process). */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Conditional(OnTrigger.class)
public @interface ConditionalOnTrigger {
    /** @return the trigger kind */
    TriggerKind value();
}
