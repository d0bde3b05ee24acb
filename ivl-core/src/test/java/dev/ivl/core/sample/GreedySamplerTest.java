package dev.ivl.core.sample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.ivl.core.InvalidInputException;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class GreedySamplerTest {
    private static final float NEG_INF = Float.NEGATIVE_INFINITY;
    private final SplittableRandom random = new SplittableRandom(0);

    private int sample(float... logits) {
        return GreedySampler.INSTANCE.sample(logits, random);
    }

    @Test
    void picksTheLargestLogitAndTheLowestIdOnTies() {
        assertEquals(2, sample(1f, 2f, 3f, -4f));
        assertEquals(1, sample(1f, 3f, 3f, 2f, 3f));
        assertEquals(0, sample(7f, 7f));
        assertEquals(2, sample(NEG_INF, NEG_INF, -100f));
        assertEquals(1, sample(3f, Float.POSITIVE_INFINITY, Float.POSITIVE_INFINITY));
        assertEquals(3, GreedySampler.argmax(new float[] {0f, 1f, -1f, 1.5f}));
    }

    @Test
    void usesNoRandomness() {
        SplittableRandom a = new SplittableRandom(5);
        GreedySampler.INSTANCE.sample(new float[] {0f, 1f}, a);
        assertEquals(new SplittableRandom(5).nextLong(), a.nextLong());
    }

    @Test
    void refusesLogitsWithNothingToPick() {
        InvalidInputException filtered = assertThrows(InvalidInputException.class, () -> sample(NEG_INF, NEG_INF));
        assertEquals("cannot sample: no finite logit (every token was filtered out)", filtered.getMessage());
        InvalidInputException nan = assertThrows(InvalidInputException.class, () -> sample(1f, Float.NaN, 2f));
        assertEquals("cannot sample: the logits contain NaN", nan.getMessage());
        assertThrows(InvalidInputException.class, () -> sample(Float.NaN, 1f));
    }
}
