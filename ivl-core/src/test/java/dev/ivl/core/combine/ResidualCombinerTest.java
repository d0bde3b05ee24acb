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

class ResidualCombinerTest {
    private static final float NEG_INF = Float.NEGATIVE_INFINITY;

    // Values chosen so that every sum below is exact in float: the expectations hold bit for bit.
    private static final float[] BASE = {1.0f, -2.0f, 0.5f, 3.25f};
    private static final float[] DELTA = {0.5f, 1.0f, -2.0f, 0.0f};

    private static float[] combine(ResidualCombiner combiner, float[] base, float[] delta) {
        float[] out = new float[combiner.outputSize(base.length, delta.length)];
        combiner.combine(new float[][] {base, delta}, out);
        return out;
    }

    @Test
    void addsAlphaTimesDeltaToBase() {
        assertArrayEquals(new float[] {1.25f, -1.5f, -0.5f, 3.25f}, combine(ResidualCombiner.withAlpha(0.5f), BASE,
                DELTA));
        assertArrayEquals(new float[] {2.0f, 0.0f, -3.5f, 3.25f}, combine(ResidualCombiner.withAlpha(2f), BASE, DELTA));
        assertArrayEquals(new float[] {0.5f, -3.0f, 2.5f, 3.25f}, combine(ResidualCombiner.withAlpha(-1f), BASE,
                DELTA));
        assertArrayEquals(new float[] {1.5f, -1.0f, -1.5f, 3.25f}, combine(new ResidualCombiner(), BASE, DELTA));
    }

    @Test
    void leavesInputsUntouched() {
        float[] base = BASE.clone();
        float[] delta = DELTA.clone();
        combine(ResidualCombiner.withAlpha(0.5f), base, delta);
        assertArrayEquals(BASE, base);
        assertArrayEquals(DELTA, delta);
    }

    @Test
    void alphaZeroIsExactlyTheBaseEvenForNonFiniteDelta() {
        SplittableRandom random = new SplittableRandom(11);
        float[] base = new float[1000];
        float[] delta = new float[1000];
        for (int i = 0; i < base.length; i++) {
            base[i] = (float) (random.nextGaussian() * 3);
            delta[i] = switch (i % 4) {
                case 0 -> Float.NaN;
                case 1 -> Float.POSITIVE_INFINITY;
                case 2 -> NEG_INF;
                default -> (float) random.nextGaussian();
            };
        }
        base[7] = NEG_INF;
        assertArrayEquals(base, combine(ResidualCombiner.withAlpha(0f), base, delta)); // bitwise equal
    }

    @Test
    void exactPolicyRejectsDifferentSizesNamingBoth() {
        ResidualCombiner combiner = new ResidualCombiner();
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> combiner.outputSize(32001, 32000));
        assertTrue(e.getMessage().contains("32001") && e.getMessage().contains("32000"), e.getMessage());
        InvalidInputException viaModel = assertThrows(InvalidInputException.class,
                () -> combiner.combine(FakeModel.constant(new float[5]), FakeModel.constant(new float[4])));
        assertTrue(viaModel.getMessage().contains("base has 5 tokens, value model has 4"), viaModel.getMessage());
    }

    @Test
    void valuePrefixMasksTheExtraBaseEntries() {
        ResidualCombiner combiner = new ResidualCombiner(0.5f, VocabularyPolicy.VALUE_PREFIX);
        float[] base = {1.0f, -2.0f, 0.5f, 3.25f, 7.0f, -1.0f};
        assertEquals(6, combiner.outputSize(6, 4));
        assertArrayEquals(new float[] {1.25f, -1.5f, -0.5f, 3.25f, NEG_INF, NEG_INF}, combine(combiner, base, DELTA));
        ResidualCombiner zero = new ResidualCombiner(0f, VocabularyPolicy.VALUE_PREFIX);
        assertArrayEquals(new float[] {1.0f, -2.0f, 0.5f, 3.25f, NEG_INF, NEG_INF}, combine(zero, base, DELTA));
        assertArrayEquals(BASE, combine(zero, BASE, DELTA), "equal sizes are allowed too");
    }

    @Test
    void valuePrefixRejectsALargerValueVocabulary() {
        ResidualCombiner combiner = new ResidualCombiner(1f, VocabularyPolicy.VALUE_PREFIX);
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> combiner.outputSize(4, 6));
        assertTrue(e.getMessage().contains("base has 4 tokens, value model has 6"), e.getMessage());
    }

    @Test
    void rejectsNonFiniteAlphaAndMissingPolicy() {
        for (float alpha : new float[] {Float.NaN, Float.POSITIVE_INFINITY, NEG_INF}) {
            IllegalParameterException e = assertThrows(IllegalParameterException.class,
                    () -> ResidualCombiner.withAlpha(alpha));
            assertEquals("alpha", e.parameter());
            assertTrue(e.getMessage().contains(Float.toString(alpha)), e.getMessage());
        }
        IllegalParameterException e = assertThrows(IllegalParameterException.class,
                () -> new ResidualCombiner(1f, null));
        assertEquals("policy", e.parameter());
    }

    @Test
    void defaultsToAlphaOneAndExactVocabularies() {
        ResidualCombiner combiner = new ResidualCombiner();
        assertEquals(1f, combiner.alpha());
        assertEquals(VocabularyPolicy.EXACT, combiner.policy());
        assertEquals(2, combiner.arity());
    }

    @Test
    void combinedModelSessionsDecodeWithTheSumOfBothModels() {
        FakeModel base = new FakeModel(4, 64, seq -> new float[] {seq.length, 1f, -1f, 0.5f});
        FakeModel value = new FakeModel(4, 32, seq -> new float[] {0f, seq[seq.length - 1], 2f, -0.5f});
        CombinedModel model = ResidualCombiner.withAlpha(0.5f).combine(base, value);
        assertEquals(4, model.vocabSize());
        assertEquals(32, model.maxSequenceLength(), "the smaller context");
        try (Session session = model.newSession()) {
            assertArrayEquals(new float[] {2f, 2.5f, 0f, 0.25f}, session.append(1, 3));
            assertArrayEquals(new float[] {3f, 1.5f, 0f, 0.25f}, session.append(1));
            assertEquals(3, session.position());
        }
        assertArrayEquals(new int[] {1, 3, 1}, base.sessions().get(0).tokens());
        assertArrayEquals(new int[] {1, 3, 1}, value.sessions().get(0).tokens());
        assertEquals(0, base.openSessions() + value.openSessions());
    }
}
