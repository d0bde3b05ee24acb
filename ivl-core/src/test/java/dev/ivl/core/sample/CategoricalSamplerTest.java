package dev.ivl.core.sample;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ivl.core.InvalidInputException;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

class CategoricalSamplerTest {
    private static final float NEG_INF = Float.NEGATIVE_INFINITY;
    private static final CategoricalSampler SAMPLER = CategoricalSampler.INSTANCE;

    /** A random source whose nextDouble() is fixed: the draw becomes a lookup in the cumulative distribution. */
    private static RandomGenerator fixed(double u) {
        return new RandomGenerator() {
            @Override
            public long nextLong() {
                throw new UnsupportedOperationException();
            }

            @Override
            public double nextDouble() {
                return u;
            }
        };
    }

    private static float ln(double x) {
        return (float) Math.log(x);
    }

    @Test
    void invertsTheCumulativeDistributionInIdOrder() {
        // probabilities 1/6, 2/6, 3/6: cumulative 0.1667, 0.5, 1
        float[] z = {ln(1), ln(2), ln(3)};
        assertEquals(0, SAMPLER.sample(z, fixed(0.0)));
        assertEquals(0, SAMPLER.sample(z, fixed(0.16)));
        assertEquals(1, SAMPLER.sample(z, fixed(0.17)));
        assertEquals(1, SAMPLER.sample(z, fixed(0.49)));
        assertEquals(2, SAMPLER.sample(z, fixed(0.51)));
        assertEquals(2, SAMPLER.sample(z, fixed(Math.nextDown(1.0))));
        // -inf entries take no room
        float[] gaps = {NEG_INF, ln(1), NEG_INF, ln(2), NEG_INF, ln(3), NEG_INF};
        assertEquals(1, SAMPLER.sample(gaps, fixed(0.0)));
        assertEquals(3, SAMPLER.sample(gaps, fixed(0.3)));
        assertEquals(5, SAMPLER.sample(gaps, fixed(Math.nextDown(1.0))));
        // shifting every logit changes nothing
        float[] shifted = {ln(1) + 50f, ln(2) + 50f, ln(3) + 50f};
        assertEquals(1, SAMPLER.sample(shifted, fixed(0.3)));
    }

    @Test
    void isReproducibleWithTheSameSeed() {
        float[] z = new float[500];
        SplittableRandom data = new SplittableRandom(1);
        for (int i = 0; i < z.length; i++) {
            z[i] = (float) data.nextGaussian();
        }
        int[] first = draws(z, new SplittableRandom(77), 1000);
        assertArrayEquals(first, draws(z, new SplittableRandom(77), 1000));
        assertFalse(Arrays.equals(first, draws(z, new SplittableRandom(78), 1000)));
    }

    private static int[] draws(float[] z, RandomGenerator random, int n) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = SAMPLER.sample(z, random);
        }
        return out;
    }

    /**
     * Pearson's chi-square goodness of fit against softmax(z) over 20,000 draws. 7 categories have non-zero
     * probability, so 6 degrees of freedom; the critical value at significance 0.001 is 22.458. The seed is fixed,
     * so the outcome is deterministic. The same counts are also tested against a wrong distribution (uniform) to
     * show that the test has the power to reject.
     */
    @Test
    void drawsFollowTheSoftmaxDistribution() {
        float[] z = {1.0f, 0.0f, -1.0f, 2.0f, NEG_INF, 0.5f, -0.5f, 1.5f};
        int n = 20_000;
        int[] counts = new int[z.length];
        SplittableRandom random = new SplittableRandom(2024);
        for (int i = 0; i < n; i++) {
            counts[SAMPLER.sample(z, random)]++;
        }
        assertEquals(0, counts[4], "a -inf token was drawn");
        double sum = 0;
        for (float v : z) {
            sum += Math.exp(v);
        }
        double chiSquare = 0;
        double chiSquareUniform = 0;
        for (int i = 0; i < z.length; i++) {
            if (z[i] == NEG_INF) {
                continue;
            }
            double expected = n * Math.exp(z[i]) / sum;
            chiSquare += (counts[i] - expected) * (counts[i] - expected) / expected;
            double uniform = n / 7.0;
            chiSquareUniform += (counts[i] - uniform) * (counts[i] - uniform) / uniform;
        }
        double critical = 22.458; // chi-square, 6 degrees of freedom, upper 0.001 quantile
        assertTrue(chiSquare < critical, "chi-square " + chiSquare + " >= " + critical);
        assertTrue(chiSquareUniform > critical, "the test cannot tell softmax from uniform: " + chiSquareUniform);
    }

    @Test
    void neverDrawsNegativeInfinityInALargeVocabulary() {
        int v = 32_000;
        float[] z = new float[v];
        SplittableRandom data = new SplittableRandom(3);
        for (int i = 0; i < v; i++) {
            z[i] = i % 3 == 0 ? (float) (data.nextGaussian() * 2.5) : NEG_INF;
        }
        SplittableRandom random = new SplittableRandom(4);
        for (int i = 0; i < 3_000; i++) {
            int t = SAMPLER.sample(z, random);
            assertEquals(0, t % 3, "drew filtered token " + t);
        }
    }

    @Test
    void scratchSpaceIsPerThread() throws Exception {
        float[] small = {0f, 1f, 2f};
        float[] large = new float[40_000];
        SplittableRandom data = new SplittableRandom(8);
        for (int i = 0; i < large.length; i++) {
            large[i] = (float) data.nextGaussian();
        }
        int[] expectedSmall = draws(small, new SplittableRandom(1), 20_000);
        int[] expectedLarge = draws(large, new SplittableRandom(2), 500);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<int[]> a = pool.submit(() -> draws(small, new SplittableRandom(1), 20_000));
            Future<int[]> b = pool.submit(() -> draws(large, new SplittableRandom(2), 500));
            assertArrayEquals(expectedSmall, a.get());
            assertArrayEquals(expectedLarge, b.get());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void refusesLogitsWithoutADistribution() {
        InvalidInputException filtered = assertThrows(InvalidInputException.class,
                () -> SAMPLER.sample(new float[] {NEG_INF, NEG_INF}, new SplittableRandom(1)));
        assertEquals("cannot sample: no finite logit (every token was filtered out or NaN)", filtered.getMessage());
        for (float[] bad : new float[][] {{1f, Float.NaN}, {Float.NaN, Float.NaN}, {0f, Float.POSITIVE_INFINITY}}) {
            InvalidInputException e = assertThrows(InvalidInputException.class,
                    () -> SAMPLER.sample(bad, new SplittableRandom(1)));
            assertNotEquals(null, e.getMessage());
        }
    }
}
