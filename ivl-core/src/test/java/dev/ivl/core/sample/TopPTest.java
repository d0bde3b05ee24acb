package dev.ivl.core.sample;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.ivl.core.IllegalParameterException;
import java.util.Arrays;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class TopPTest {
    private static final float NEG_INF = Float.NEGATIVE_INFINITY;

    private static float[] topP(float p, float... logits) {
        float[] out = logits.clone();
        new TopP(p).process(out, new TokenHistory());
        return out;
    }

    /**
     * The rule written out naively: sort the finite tokens by logit descending, then id ascending; keep a token
     * iff the probability mass ranked strictly above it is below p. Probabilities in double precision.
     */
    private static float[] reference(float p, float[] z) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : z) {
            max = Math.max(max, v);
        }
        double total = 0;
        for (float v : z) {
            total += Math.exp(v - max);
        }
        Integer[] order = IntStream.range(0, z.length).filter(i -> z[i] != NEG_INF).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.<Integer>comparingDouble(i -> -z[i]).thenComparingInt(i -> i));
        float[] out = new float[z.length];
        Arrays.fill(out, NEG_INF);
        double above = 0;
        for (int i : order) {
            if (above / total < p) {
                out[i] = z[i];
            }
            above += Math.exp(z[i] - max);
        }
        return out;
    }

    private static float ln(double x) {
        return (float) Math.log(x);
    }

    @Test
    void keepsTheSmallestHeadWhoseMassReachesP() {
        // probabilities 0.4, 0.3, 0.2, 0.1; the mass above each: 0, 0.4, 0.7, 0.9
        float[] z = {ln(4), ln(3), ln(2), 0f};
        assertArrayEquals(new float[] {z[0], NEG_INF, NEG_INF, NEG_INF}, topP(0.35f, z));
        assertArrayEquals(new float[] {z[0], z[1], NEG_INF, NEG_INF}, topP(0.5f, z));
        assertArrayEquals(new float[] {z[0], z[1], z[2], NEG_INF}, topP(0.75f, z));
        assertArrayEquals(z, topP(0.95f, z));
        // the same in shuffled order, with filtered tokens in between
        float[] shuffled = {NEG_INF, 0f, ln(3), NEG_INF, ln(4), ln(2)};
        assertArrayEquals(new float[] {NEG_INF, NEG_INF, ln(3), NEG_INF, ln(4), NEG_INF}, topP(0.5f, shuffled));
    }

    @Test
    void breaksTiesByLowerId() {
        // four equal tokens: the mass above the i-th is i/4
        float[] equal = {0f, 0f, 0f, 0f};
        assertArrayEquals(new float[] {0f, 0f, NEG_INF, NEG_INF}, topP(0.5f, equal));
        assertArrayEquals(new float[] {0f, 0f, 0f, NEG_INF}, topP(0.6f, equal));
        // ids 1 and 3 each hold e/(2e+2) = 0.366
        float[] pairs = {0f, 1f, 0f, 1f};
        assertArrayEquals(new float[] {NEG_INF, 1f, NEG_INF, NEG_INF}, topP(0.3f, pairs));
        assertArrayEquals(new float[] {NEG_INF, 1f, NEG_INF, 1f}, topP(0.5f, pairs));
        assertArrayEquals(new float[] {0f, 1f, NEG_INF, 1f}, topP(0.8f, pairs));
    }

    @Test
    void ranksByLogitEvenWhereTheDistanceFromTheMaximumRoundsEqual() {
        // 16 - 4e-7 rounds to 16 in float, so ids 3 and 4 are equally far from the maximum; id 4 is still the more
        // likely. p·total falls between the mass of the three top tokens plus one and plus both of them.
        float[] z = {16f, 16f, 16f, 0f, 4e-7f};
        float p = 0.99999994f; // 1 - 2^-24
        assertArrayEquals(new float[] {16f, 16f, 16f, NEG_INF, 4e-7f}, topP(p, z));
        assertArrayEquals(reference(p, z), topP(p, z));
    }

    @Test
    void alwaysKeepsTheMostLikelyToken() {
        assertArrayEquals(new float[] {NEG_INF, 3f, NEG_INF}, topP(1e-6f, 1f, 3f, 2.9f));
        assertArrayEquals(new float[] {5f}, topP(0.1f, 5f));
    }

    @Test
    void pOneChangesNothing() {
        float[] z = {1f, NEG_INF, Float.NaN, -3f, 1f};
        float[] out = topP(1f, z);
        assertArrayEquals(z, out);
    }

    @Test
    void leavesLogitsWithoutAFiniteMaximumAlone() {
        float[] allFiltered = {NEG_INF, NEG_INF};
        assertArrayEquals(allFiltered, topP(0.5f, allFiltered));
        float[] withNaN = {1f, Float.NaN, 0f};
        assertArrayEquals(withNaN, topP(0.5f, withNaN), "NaN is left for the sampler to report");
    }

    @Test
    void matchesAFullSortOnRandomVectors() {
        SplittableRandom random = new SplittableRandom(42);
        int checked = 0;
        for (int trial = 0; trial < 600; trial++) {
            int n = 1 + random.nextInt(trial % 3 == 0 ? 50 : 4000);
            double scale = new double[] {0.05, 1, 2.5, 8, 40}[trial % 5]; // 40: many tokens beyond 40 nats
            boolean ties = trial % 4 == 1;
            double filtered = trial % 6 == 2 ? 0.3 : 0;
            float[] z = new float[n];
            for (int i = 0; i < n; i++) {
                double g = random.nextGaussian() * scale;
                z[i] = random.nextDouble() < filtered ? NEG_INF : ties ? Math.round(g * 4) / 4f : (float) g;
            }
            float p = switch (trial % 4) {
                case 0 -> 0.9f;
                case 1 -> 0.5f;
                default -> (float) random.nextDouble(1e-4, 1);
            };
            assertArrayEquals(reference(p, z), topP(p, z), "trial " + trial + ", n " + n + ", p " + p);
            checked++;
        }
        assertEquals(600, checked);
    }

    @Test
    void rejectsPOutsideTheHalfOpenUnitInterval() {
        for (float bad : new float[] {0f, -0.5f, 1.0001f, Float.NaN}) {
            IllegalParameterException e = assertThrows(IllegalParameterException.class, () -> new TopP(bad));
            assertEquals("topP", e.parameter());
            assertEquals("topP must be in (0, 1], got " + bad, e.getMessage());
        }
    }
}
