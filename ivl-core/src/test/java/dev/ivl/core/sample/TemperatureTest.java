package dev.ivl.core.sample;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.ivl.core.IllegalParameterException;
import org.junit.jupiter.api.Test;

class TemperatureTest {
    private static final float NEG_INF = Float.NEGATIVE_INFINITY;

    @Test
    void dividesEveryLogitByTheTemperature() {
        float[] logits = {2.0f, -1.0f, 0.5f, 0f, NEG_INF};
        new Temperature(0.5f).process(logits, new TokenHistory());
        assertArrayEquals(new float[] {4.0f, -2.0f, 1.0f, 0f, NEG_INF}, logits);
        new Temperature(4f).process(logits, new TokenHistory());
        assertArrayEquals(new float[] {1.0f, -0.5f, 0.25f, 0f, NEG_INF}, logits);
    }

    @Test
    void matchesDivisionWithinRounding() {
        float[] logits = {1f, -7.3f, 12.9f};
        new Temperature(0.7f).process(logits, new TokenHistory());
        assertArrayEquals(new float[] {1f / 0.7f, -7.3f / 0.7f, 12.9f / 0.7f}, logits, 2e-6f);
    }

    @Test
    void rejectsTemperaturesThatAreNotFinitePositive() {
        for (float bad : new float[] {0f, -0.5f, Float.NaN, Float.POSITIVE_INFINITY}) {
            IllegalParameterException e = assertThrows(IllegalParameterException.class, () -> new Temperature(bad));
            assertEquals("temperature", e.parameter());
            assertEquals("temperature must be a finite number > 0, got " + bad, e.getMessage());
        }
    }
}
