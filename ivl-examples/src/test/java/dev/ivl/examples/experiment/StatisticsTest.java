package dev.ivl.examples.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ivl.core.IllegalParameterException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The report's statistics against hand values, python3 references and known properties of the bootstrap. */
class StatisticsTest {

    @Test
    void summaryHasTheMeanAndTheSampleStandardDeviation() {
        // mean 2.25/4 = 0.5625; squared deviations 0.00390625 + 0.00390625 + 0.03515625 + 0.03515625 = 0.078125;
        // sd = sqrt(0.078125 / 3) = 0.16137430609197570 (python3 statistics.stdev)
        Statistics.Summary s = Statistics.Summary.of(0.5, 0.625, 0.75, 0.375);
        assertEquals(4, s.n());
        assertEquals(0.5625, s.mean(), 1e-15);
        assertEquals(0.1613743060919757, s.sd(), 1e-15);
        assertEquals("0.563 ± 0.161", s.format(3));
        assertEquals("1 ± 0", Statistics.Summary.of(1, 1, 1).format(0));

        Statistics.Summary one = Statistics.Summary.of(0.25);
        assertTrue(Double.isNaN(one.sd()), "no spread from one value");
        assertEquals("0.25", one.format(2));
    }

    @Test
    void meansRejectEmptyAndNonFiniteSamples() {
        assertEquals(2.0, Statistics.meanOf(new double[] {1, 2, 3}), 0);
        IllegalParameterException empty = assertThrows(IllegalParameterException.class,
                () -> Statistics.meanOf(new double[0]));
        assertEquals("values", empty.parameter());
        assertThrows(IllegalParameterException.class, () -> Statistics.Summary.of(1, Double.NaN));
        assertThrows(IllegalParameterException.class, () -> Statistics.Summary.of(1).format(-1));
    }

    @Test
    void meanOverSeedsAveragesEachItem() {
        double[][] scores = {{1, 0, 0.5}, {0, 0, 1}, {1, 1, 0}};
        assertEquals("[0.6666666666666666, 0.3333333333333333, 0.5]",
                Arrays.toString(Statistics.meanOverSeeds(scores)));
        IllegalParameterException ragged = assertThrows(IllegalParameterException.class,
                () -> Statistics.meanOverSeeds(new double[][] {{1, 0}, {1}}));
        assertEquals("scores", ragged.parameter());
    }

    @Test
    void identicalSystemsDifferByExactlyZero() {
        double[] a = {1, 0, 1, 1, 0, 0.5, 0.25};
        Statistics.PairedBootstrap r = Statistics.pairedBootstrap(a, a.clone(), 7);
        assertEquals(0.0, r.difference(), 0);
        assertEquals(0.0, r.lower(), 0);
        assertEquals(0.0, r.upper(), 0);
        assertEquals(1.0, r.fractionAtMostZero(), 0, "every resampled difference is 0");
        assertEquals(Statistics.DEFAULT_RESAMPLES, r.resamples());
        assertEquals("+0.000 [+0.000, +0.000]", r.format(3));
    }

    @Test
    void aConstantShiftIsADegenerateInterval() {
        double[] b = {0, 0.5, 0.25, 0.125, 0.75};
        double[] a = Arrays.stream(b).map(x -> x + 0.25).toArray();
        Statistics.PairedBootstrap r = Statistics.pairedBootstrap(a, b, 1000, 3);
        assertEquals(0.25, r.difference(), 0);
        assertEquals(0.25, r.lower(), 0);
        assertEquals(0.25, r.upper(), 0);
        assertEquals(0.0, r.fractionAtMostZero(), 0);

        Statistics.PairedBootstrap worse = Statistics.pairedBootstrap(b, a, 1000, 3);
        assertEquals("-0.25 [-0.25, -0.25]", worse.format(2));
        assertEquals(1.0, worse.fractionAtMostZero(), 0);
    }

    @Test
    void oneItemIsADegenerateInterval() {
        Statistics.PairedBootstrap r = Statistics.pairedBootstrap(new double[] {1}, new double[] {0}, 1);
        assertEquals(1.0, r.difference(), 0);
        assertEquals(1.0, r.lower(), 0);
        assertEquals(1.0, r.upper(), 0);
        assertEquals(0.0, r.fractionAtMostZero(), 0);
    }

    @Test
    void twoItemsResampleToTheirExactDistribution() {
        // differences {0, 1}: the resampled mean is 0, 1/2 or 1 with probabilities 1/4, 1/2, 1/4, so the 2.5 % and
        // 97.5 % percentiles are 0 and 1 and a quarter of the resamples are <= 0 (binomial sd 0.0043 at B = 10,000)
        Statistics.PairedBootstrap r = Statistics.pairedBootstrap(new double[] {1, 1}, new double[] {1, 0}, 11);
        assertEquals(0.5, r.difference(), 0);
        assertEquals(0.0, r.lower(), 0);
        assertEquals(1.0, r.upper(), 0);
        assertEquals(0.25, r.fractionAtMostZero(), 0.02);
    }

    @Test
    void aLargeSampleMatchesTheNormalApproximation() {
        // 2,000 items with 0/1 scores: A alone right on 260, B alone on 200, both or neither on 1,540, so the
        // differences are +1, -1 and 0. python3: mean 0.03, plug-in se = sqrt((460/2000 - 0.03^2)/2000)
        // = 0.010702803371079966; statistics.NormalDist: mean -/+ 1.959964 se = [0.009022890859, 0.050977109141],
        // P(N(mean, se) <= 0) = 0.002531452554730862. (numpy's own bootstrap, seed 1: [0.009, 0.0515], 0.0029.)
        int n = 2000;
        double[] a = new double[n];
        double[] b = new double[n];
        for (int i = 0; i < n; i++) {
            a[i] = i < 260 || i >= 460 && i < 1000 ? 1 : 0;
            b[i] = i >= 260 && i < 1000 ? 1 : 0;
        }
        Statistics.PairedBootstrap r = Statistics.pairedBootstrap(a, b, 42);
        assertEquals(0.03, r.difference(), 1e-12);
        assertEquals(0.009022890859, r.lower(), 0.0015);
        assertEquals(0.050977109141, r.upper(), 0.0015);
        assertEquals(0.002531452554730862, r.fractionAtMostZero(), 0.002);
    }

    @Test
    void theSeedDeterminesTheResamples() {
        double[] a = {1, 0, 1, 1, 0, 1, 0, 1, 1, 0.4};
        double[] b = {0, 0, 1, 0, 1, 0, 0, 1, 0.2, 0.3};
        Statistics.PairedBootstrap first = Statistics.pairedBootstrap(a, b, 2000, 5);
        assertEquals(first, Statistics.pairedBootstrap(a, b, 2000, 5));
        Statistics.PairedBootstrap other = Statistics.pairedBootstrap(a, b, 2000, 6);
        assertEquals(first.difference(), other.difference(), 0);
        assertNotEquals(first.fractionAtMostZero(), other.fractionAtMostZero());
    }

    @Test
    void theBootstrapRejectsMismatchedInputs() {
        IllegalParameterException length = assertThrows(IllegalParameterException.class,
                () -> Statistics.pairedBootstrap(new double[] {1, 0}, new double[] {1}, 1));
        assertEquals("b", length.parameter());
        IllegalParameterException resamples = assertThrows(IllegalParameterException.class,
                () -> Statistics.pairedBootstrap(new double[] {1}, new double[] {1}, 0, 1));
        assertEquals("resamples", resamples.parameter());
        assertThrows(IllegalParameterException.class,
                () -> Statistics.pairedBootstrap(new double[0], new double[0], 1));
        assertThrows(IllegalParameterException.class,
                () -> Statistics.pairedBootstrap(new double[] {Double.NaN}, new double[] {0}, 1));
    }

    @Test
    void mcNemarIsTheExactBinomialTest() {
        // b = 10, c = 2: 2 (C(12,0) + C(12,1) + C(12,2)) / 2^12 = 2 * 79 / 4096
        assertEquals(158.0 / 4096, Statistics.mcNemar(10, 2).p(), 1e-15);
        assertEquals(0.0386, Statistics.mcNemar(2, 10).p(), 5e-5);
        assertEquals(0.0625, Statistics.mcNemar(0, 5).p(), 1e-15); // 2 / 2^5
        assertEquals(1.0, Statistics.mcNemar(7, 7).p(), 0);
        assertEquals(1.0, Statistics.mcNemar(1, 0).p(), 0);
        assertEquals(1.0, Statistics.mcNemar(0, 0).p(), 0);
        // python3, exact: float(2 * Fraction(sum(math.comb(n, i) for i in range(k + 1)), 2**n)); scipy's binomtest
        // agrees to 1e-15. 2^-5850 underflows a double, so these need the log-space sum.
        assertEquals(0.0028195449914364275, Statistics.mcNemar(600, 500).p(), 1e-12);
        assertEquals(0.05139528070225107, Statistics.mcNemar(3000, 2850).p(), 1e-11);
    }

    @Test
    void mcNemarCountsTheDiscordantPairs() {
        boolean[] a = {true, true, true, false, false, true};
        boolean[] b = {false, true, false, true, false, false};
        Statistics.McNemar m = Statistics.mcNemar(a, b);
        assertEquals(3, m.b());
        assertEquals(1, m.c());
        assertEquals(0.625, m.p(), 1e-15); // 2 (1 + 4) / 16
    }

    @Test
    void mcNemarRejectsNegativeCounts() {
        assertEquals("b", assertThrows(IllegalParameterException.class, () -> Statistics.mcNemar(-1, 3)).parameter());
        assertEquals("c", assertThrows(IllegalParameterException.class, () -> Statistics.mcNemar(3, -2)).parameter());
        assertThrows(IllegalParameterException.class,
                () -> Statistics.mcNemar(new boolean[] {true}, new boolean[] {true, false}));
    }

    @Test
    void intervalsCarryExplicitSigns() {
        assertEquals("+0.123 [+0.045, +0.201]", Statistics.formatInterval(0.1234, 0.0449, 0.2006, 3));
        assertEquals("-0.010 [-0.030, +0.012]", Statistics.formatInterval(-0.01, -0.03, 0.012, 3));
        assertEquals("+0.000 [+0.000, +0.001]", Statistics.formatInterval(-0.0002, -0.0004, 0.0006, 3),
                "a value that rounds to zero is not negative");
        assertEquals("+2 [+1, +3]", Statistics.formatInterval(2, 1, 3, 0));
    }
}
