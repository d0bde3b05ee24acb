package dev.ivl.core.sample;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.ivl.core.IllegalParameterException;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class MinPTest {
    private static final float NEG_INF = Float.NEGATIVE_INFINITY;

    private static float[] minP(float minP, float... logits) {
        float[] out = logits.clone();
        new MinP(minP).process(out, new TokenHistory());
        return out;
    }

    @Test
    void dropsTokensLessLikelyThanMinPTimesTheTop() {
        // p_i / p_max = e^{z_i}: 1, 0.368, 0.135, 0.050
        float[] z = {0f, -1f, -2f, -3f, NEG_INF};
        assertArrayEquals(new float[] {0f, -1f, -2f, -3f, NEG_INF}, minP(0.04f, z));
        assertArrayEquals(new float[] {0f, -1f, -2f, NEG_INF, NEG_INF}, minP(0.1f, z));
        assertArrayEquals(new float[] {0f, -1f, NEG_INF, NEG_INF, NEG_INF}, minP(0.3f, z));
        assertArrayEquals(new float[] {0f, NEG_INF, NEG_INF, NEG_INF, NEG_INF}, minP(0.4f, z));
        assertArrayEquals(new float[] {NEG_INF, 7f, NEG_INF, 7f}, minP(0.999f, 6.5f, 7f, 1f, 7f), "ties with the top");
    }

    @Test
    void matchesTheProbabilityDefinitionOnRandomVectors() {
        SplittableRandom random = new SplittableRandom(9);
        for (int trial = 0; trial < 200; trial++) {
            int n = 1 + random.nextInt(2000);
            float[] z = new float[n];
            for (int i = 0; i < n; i++) {
                z[i] = random.nextInt(20) == 0 ? NEG_INF : (float) (random.nextGaussian() * 3);
            }
            float p = (float) random.nextDouble(0.001, 0.999);
            double max = Double.NEGATIVE_INFINITY;
            for (float v : z) {
                max = Math.max(max, v);
            }
            double sum = 0;
            for (float v : z) {
                sum += Math.exp(v - max);
            }
            float[] expected = new float[n];
            for (int i = 0; i < n; i++) {
                double prob = Math.exp(z[i] - max) / sum;
                double top = 1 / sum;
                expected[i] = prob < p * top ? NEG_INF : z[i];
            }
            assertArrayEquals(expected, minP(p, z), "trial " + trial);
        }
    }

    @Test
    void rejectsValuesOutsideTheOpenUnitInterval() {
        for (float bad : new float[] {0f, 1f, -0.1f, Float.NaN}) {
            IllegalParameterException e = assertThrows(IllegalParameterException.class, () -> new MinP(bad));
            assertEquals("minP", e.parameter());
            assertEquals("minP must be in (0, 1), got " + bad, e.getMessage());
        }
    }
}
