package dev.baton.example.app;

import dev.baton.example.vision.MoondreamVisionModel;
import dev.baton.example.vision.SimulatedVisionModel;
import dev.baton.example.vision.VisionModel;
import java.net.URI;
import java.time.Duration;
import java.util.function.Function;

/**
 * Chooses the vision model: a Moondream-style service when {@code MOONDREAM_URL} is set, else the built-in simulator.
 */
public final class VisionModels {
    private VisionModels() {}

    /**
     * @param env the environment
     * @return the model
     * @throws IllegalArgumentException if {@code MOONDREAM_URL} is not a URL
     */
    public static VisionModel fromEnvironment(Function<String, String> env) {
        String url = env.apply(MoondreamVisionModel.URL_VARIABLE);
        if (url == null || url.isBlank()) {
            return new SimulatedVisionModel();
        }
        return new MoondreamVisionModel(
                URI.create(url.trim()), env.apply(MoondreamVisionModel.KEY_VARIABLE), Duration.ofSeconds(30));
    }
}
