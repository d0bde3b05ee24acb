package dev.ivl.core.sample;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.ivl.core.IllegalParameterException;
import org.junit.jupiter.api.Test;

class RepetitionPenaltyTest {
    private static final float NEG_INF = Float.NEGATIVE_INFINITY;

    @Test
    void dividesPositiveAndMultipliesNegativeLogitsOfSeenTokensOnce() {
        // Token 0 appears three times, token 1 twice, token 3 once; tokens 2 and 4 never.
        TokenHistory history = new TokenHistory(0, 1, 1);
        history.add(0);
        history.add(3);
        history.add(0);
        float[] logits = {2.0f, -1.0f, 0.5f, -0.5f, 3.0f};
        new RepetitionPenalty(2f).process(logits, history);
        assertArrayEquals(new float[] {1.0f, -2.0f, 0.5f, -1.0f, 3.0f}, logits);
    }

    @Test
    void belowOneEncouragesRepetition() {
        float[] logits = {2.0f, -1.0f, 0.0f, NEG_INF};
        new RepetitionPenalty(0.5f).process(logits, new TokenHistory(0, 1, 2, 3));
        assertArrayEquals(new float[] {4.0f, -0.5f, 0.0f, NEG_INF}, logits);
    }

    @Test
    void ignoresHistoryTokensOutsideTheLogits() {
        float[] logits = {2.0f, -1.0f};
        new RepetitionPenalty(2f).process(logits, new TokenHistory(1, 7));
        assertArrayEquals(new float[] {2.0f, -2.0f}, logits);
    }

    @Test
    void rejectsPenaltiesThatAreNotFinitePositive() {
        for (float bad : new float[] {0f, -1.2f, Float.NaN, Float.POSITIVE_INFINITY}) {
            IllegalParameterException e = assertThrows(IllegalParameterException.class,
                    () -> new RepetitionPenalty(bad));
            assertEquals("repetitionPenalty", e.parameter());
            assertEquals("repetitionPenalty must be a finite number > 0, got " + bad, e.getMessage());
        }
    }
}
