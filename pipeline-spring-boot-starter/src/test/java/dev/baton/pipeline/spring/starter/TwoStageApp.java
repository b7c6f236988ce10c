package dev.baton.pipeline.spring.starter;

import dev.baton.pipeline.Stage;
import dev.baton.pipeline.StageResult;
import java.util.Arrays;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;

/** The smallest host: two Stage beans; the data source and {@code baton.stages} are properties. */
@SpringBootApplication
public class TwoStageApp {
    @Bean
    Stage square() {
        return ctx -> StageResult.done(Arrays.stream(ctx.input(int[].class).orElseThrow())
                .map(n -> n * n)
                .toArray());
    }

    @Bean
    Stage total() {
        return ctx -> StageResult.done(
                Arrays.stream(ctx.output("square", int[].class)).sum());
    }
}
