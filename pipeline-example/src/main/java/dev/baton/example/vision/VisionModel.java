package dev.baton.example.vision;

import java.io.IOException;
import java.util.List;

/**
 * A model that looks at screenshots. The extraction stage asks it for every component, element
 * and anchor of a screenshot; the annotation stage asks it to detect named objects. {@link SimulatedVisionModel} is the
 * deterministic built-in one; {@link MoondreamVisionModel} calls a Moondream-style {@code POST /v1/detect} endpoint.
 *
 * <p>Implementations are thread-safe: stages call them for many batches at once.
 */
public interface VisionModel {

    /** @return a short name for logs and stored results, such as {@code simulator} */
    String name();

    /**
     * Extracts the components, elements and anchors of a screenshot.
     *
     * @param png the screenshot, PNG bytes
     * @return what was found
     * @throws IOException if the image cannot be read or the model cannot be reached; the stage retries
     */
    Extraction extract(byte[] png) throws IOException;

    /**
     * Detects every instance of an object on a screenshot.
     *
     * @param png the screenshot, PNG bytes
     * @param object what to look for, such as {@code "button"}
     * @return where each instance is, possibly none
     * @throws IOException if the image cannot be read or the model cannot be reached; the stage retries
     */
    List<Box> detect(byte[] png, String object) throws IOException;
}
