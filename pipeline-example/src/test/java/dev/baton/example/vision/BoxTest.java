package dev.baton.example.vision;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class BoxTest {
    @Test
    void iou_is_one_for_the_same_box_zero_when_apart_and_exact_in_between() {
        Box a = new Box(0, 0, 10, 10);
        assertThat(a.iou(a)).isEqualTo(1.0);
        assertThat(a.iou(new Box(10, 0, 10, 10))).isZero();
        assertThat(a.iou(new Box(5, 0, 10, 10))).isCloseTo(50.0 / 150.0, within(1e-9));
    }

    @Test
    void union_spans_both() {
        assertThat(new Box(2, 3, 4, 5).union(new Box(10, 1, 2, 2))).isEqualTo(new Box(2, 1, 10, 7));
    }

    @Test
    void refuses_empty_or_negative_boxes() {
        assertThatThrownBy(() -> new Box(0, 0, 0, 5)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Box(-1, 0, 3, 5)).isInstanceOf(IllegalArgumentException.class);
    }
}
