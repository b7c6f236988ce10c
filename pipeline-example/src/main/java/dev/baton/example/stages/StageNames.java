package dev.baton.example.stages;

import java.util.List;

/** The names of the six stages, as stored in {@code current_stage}. */
public final class StageNames {
    /** Loads the batch's screenshot rows, signs their URLs and fetches the images. */
    public static final String SETUP = "setup";
    /** Extracts components, elements and anchors with the vision model. */
    public static final String EXTRACTION = "extraction";
    /** Detects objects with the vision model, as a Moondream-style model would. */
    public static final String ANNOTATION = "annotation";
    /** Measures how well extraction agrees with annotation. */
    public static final String VALIDATION = "validation";
    /** Reads facts from the images: size, colours, hash. */
    public static final String METADATA = "metadata";
    /** Writes the results into the host's tables and marks the batch completed. */
    public static final String PERSISTENCE = "persistence";

    /** Every stage, in the order they run. */
    public static final List<String> ALL = List.of(SETUP, EXTRACTION, ANNOTATION, VALIDATION, METADATA, PERSISTENCE);

    /**
     * The stages that can fan out ({@code --fan-out STAGE=K}): those that work through the screenshots one by one,
     * each screenshot's result independent of the others. Setup reads the host's rows and refuses a batch as a
     * whole, validation and persistence work on the whole batch at once.
     */
    public static final List<String> FAN_OUT = List.of(EXTRACTION, ANNOTATION, METADATA);

    private StageNames() {}
}
