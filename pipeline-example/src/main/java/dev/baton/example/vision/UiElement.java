package dev.baton.example.vision;

import java.util.Objects;

/**
 * Something found on a screenshot: what kind of thing it is and where.
 *
 * @param kind one of {@link UiKinds}' names, or a free-form object name from a detector
 * @param box where it is, in pixels
 */
public record UiElement(String kind, Box box) {

    /** @throws NullPointerException if an argument is {@code null} */
    public UiElement {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(box, "box");
    }
}
