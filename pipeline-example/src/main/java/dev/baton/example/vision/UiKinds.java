package dev.baton.example.vision;

import java.util.List;

/** The kinds of user-interface parts the example pipeline extracts and detects. */
public final class UiKinds {
    /** The full-width bar at the top of a page. */
    public static final String HEADER = "header";
    /** A filled, clickable rectangle with a label. */
    public static final String BUTTON = "button";
    /** A text field: an outlined, empty rectangle. */
    public static final String INPUT = "input";
    /** An image or its placeholder. */
    public static final String IMAGE = "image";
    /** A block of text lines. */
    public static final String TEXT = "text";
    /** One line of text inside a text block. */
    public static final String TEXT_LINE = "text line";
    /** A hyperlink: a short line of coloured text. */
    public static final String LINK = "link";

    /** The kinds the annotation stage asks a detector for, and that validation compares. */
    public static final List<String> DETECTION_TARGETS = List.of(HEADER, BUTTON, INPUT, IMAGE, TEXT, LINK);

    private UiKinds() {}
}
