package dev.ivl.core.combine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ivl.core.InvalidInputException;
import dev.ivl.core.IllegalParameterException;
import dev.ivl.core.fakes.FakeModel;
import dev.ivl.core.model.Session;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ProxyTuningCombinerTest {
    private static float[] combine(ProxyTuningCombiner combiner, float[] base, float[] expert, float[] anti) {
        float[] out = new float[combiner.outputSize(base.length, expert.length, anti.length)];
        combiner.combine(new float[][] {base, expert, anti}, out);
        return out;
    }

    @Test
    void addsAlphaTimesExpertMinusAntiExpert() {
        float[] base = {1f, 2f, -1f, 0.25f};
        float[] expert = {0.5f, 1.5f, 4f, -3f};
        float[] anti = {1.5f, 0.5f, 4f, 1f};
        // base + 0.5 * (expert - anti) = {1 - 0.5, 2 + 0.5, -1 + 0, 0.25 - 2}
        assertArrayEquals(new float[] {0.5f, 2.5f, -1f, -1.75f}, combine(new ProxyTuningCombiner(0.5f), base, expert,
                anti));
        assertArrayEquals(base, combine(new ProxyTuningCombiner(0f), base, expert, anti));
    }

    @Test
    void equalExpertAndAntiExpertGiveExactlyTheBase() {
        SplittableRandom random = new SplittableRandom(5);
        float[] base = new float[2000];
        float[] same = new float[2000];
        for (int i = 0; i < base.length; i++) {
            base[i] = (float) (random.nextGaussian() * 4) + 0.125f;
            same[i] = (float) (random.nextGaussian() * 4);
        }
        for (float alpha : new float[] {0.7f, 1f, -2.5f}) {
            assertArrayEquals(base, combine(new ProxyTuningCombiner(alpha), base, same, same.clone()));
        }
    }

    @Test
    void rejectsUnequalVocabulariesNamingAllThree() {
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> new ProxyTuningCombiner(1f).outputSize(32000, 32000, 32001));
        assertTrue(e.getMessage().contains("base 32000, expert 32000, anti-expert 32001"), e.getMessage());
    }

    @Test
    void rejectsNonFiniteAlpha() {
        IllegalParameterException e = assertThrows(IllegalParameterException.class,
                () -> new ProxyTuningCombiner(Float.NaN));
        assertEquals("alpha", e.parameter());
        assertTrue(e.getMessage().contains("NaN"), e.getMessage());
    }

    @Test
    void combinedModelUsesTheThreeModelsInOrder() {
        CombinedModel model = new ProxyTuningCombiner(2f).combine(FakeModel.constant(1f, 0f),
                FakeModel.constant(0.5f, 3f), FakeModel.constant(0.25f, 1f));
        try (Session session = model.newSession()) {
            // {1 + 2·0.25, 0 + 2·2}
            assertArrayEquals(new float[] {1.5f, 4f}, session.append(0));
        }
    }
}
