package dev.baton.example.stages;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.example.vision.Box;
import dev.baton.example.vision.UiElement;
import java.util.List;
import org.junit.jupiter.api.Test;

class AccuracyCalculatorTest {
    private final AccuracyCalculator calculator = new AccuracyCalculator();

    private static UiElement button(int x, int y) {
        return new UiElement("button", new Box(x, y, 100, 30));
    }

    @Test
    void matches_by_kind_and_overlap_each_detection_once() {
        List<UiElement> extracted =
                List.of(button(0, 0), button(200, 0), button(400, 0), new UiElement("link", new Box(0, 100, 50, 8)));
        List<UiElement> detected =
                List.of(button(2, 1), button(205, 0), button(600, 0), new UiElement("header", new Box(0, 100, 50, 8)));

        AccuracyCalculator.Tally t = calculator.compare("button", extracted, detected);

        assertThat(t.extracted()).isEqualTo(3);
        assertThat(t.detected()).isEqualTo(3);
        assertThat(t.matched()).isEqualTo(2);
        Accuracy a = t.accuracy();
        assertThat(a.precision()).isEqualTo(0.6667);
        assertThat(a.recall()).isEqualTo(0.6667);
        assertThat(a.f1()).isEqualTo(0.6667);
        assertThat(a.meanIou()).isBetween(0.85, 0.95);
    }

    @Test
    void a_box_overlapping_two_detections_takes_the_better_and_leaves_the_other() {
        List<UiElement> extracted = List.of(button(0, 0), button(10, 0));
        List<UiElement> detected = List.of(button(9, 0));
        AccuracyCalculator.Tally t = calculator.compare("button", extracted, detected);
        assertThat(t.matched()).isEqualTo(1);
        assertThat(t.iouSum()).isGreaterThan(0.95);
    }

    @Test
    void nothing_on_either_side_is_perfect_and_nothing_matching_is_zero() {
        assertThat(calculator.compare("image", List.of(), List.of()).accuracy())
                .isEqualTo(new Accuracy(0, 0, 0, 1.0, 1.0, 1.0, 1.0));
        Accuracy none = calculator
                .compare("button", List.of(button(0, 0)), List.of(button(500, 0)))
                .accuracy();
        assertThat(none.precision()).isZero();
        assertThat(none.recall()).isZero();
        assertThat(none.f1()).isZero();
    }
}
