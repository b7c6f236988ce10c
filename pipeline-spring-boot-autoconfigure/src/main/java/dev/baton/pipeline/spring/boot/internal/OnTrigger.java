package dev.baton.pipeline.spring.boot.internal;

import dev.baton.pipeline.spring.boot.BatonProperties.TriggerKind;
import java.util.Map;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.Condition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * Matches when {@code baton.trigger}, bound as Spring binds {@code BatonProperties} (so {@code in-process},
 * {@code IN_PROCESS} and {@code inProcess} are the same), is the kind named by {@link ConditionalOnTrigger}.
 */
final class OnTrigger implements Condition {
    @Override
    public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
        Map<String, Object> attributes = metadata.getAnnotationAttributes(ConditionalOnTrigger.class.getName());
        TriggerKind wanted = (TriggerKind) attributes.get("value");
        TriggerKind actual = Binder.get(context.getEnvironment())
                .bind("baton.trigger", TriggerKind.class)
                .orElse(TriggerKind.IN_PROCESS);
        return actual == wanted;
    }
}
