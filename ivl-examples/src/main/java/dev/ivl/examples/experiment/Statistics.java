package dev.ivl.examples.experiment;

import dev.ivl.core.IllegalParameterException;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The statistics of the replication's report: a summary over seeds, a paired bootstrap interval for the difference
 * of two systems' mean scores on the same items, and McNemar's exact test for paired binary outcomes. Pure Java and
 * deterministic given a seed.
 */
public final class Statistics {
    /** The number of bootstrap resamples when none is given. */
    public static final int DEFAULT_RESAMPLES = 10_000;

    private Statistics() {}

    /**
     * A sample of values, such as one metric over seeds.
     *
     * @param n the number of values, at least 1
     * @param mean their mean
     * @param sd their sample standard deviation (divisor n - 1); NaN when n = 1
     */
    public record Summary(int n, double mean, double sd) {
        /**
         * @param values the sample: at least one finite value
         * @return its size, mean and sample standard deviation
         */
        public static Summary of(double... values) {
            double mean = meanOf(values);
            double squares = 0;
            for (double v : values) {
                squares += (v - mean) * (v - mean);
            }
            return new Summary(values.length, mean, values.length == 1 ? Double.NaN
                    : Math.sqrt(squares / (values.length - 1)));
        }

        /**
         * @param decimals the digits after the decimal point, at least 0
         * @return {@code mean ± sd} (e.g. {@code 0.512 ± 0.031}); the mean alone when n = 1
         */
        public String format(int decimals) {
            String mean = fixed(this.mean, decimals, false);
            return n == 1 ? mean : mean + " ± " + fixed(sd, decimals, false);
        }
    }

    /**
     * A paired bootstrap of the difference of two systems' mean scores, A minus B, on the same items.
     *
     * @param difference the observed difference of the means
     * @param lower the 2.5 % percentile of the resampled differences
     * @param upper the 97.5 % percentile of the resampled differences
     * @param fractionAtMostZero the fraction of resamples whose difference is at most 0: a one-sided bootstrap
     *     p-value for "A scores higher than B"
     * @param resamples the number of resamples
     */
    public record PairedBootstrap(double difference, double lower, double upper, double fractionAtMostZero,
            int resamples) {
        /**
         * @param decimals the digits after the decimal point, at least 0
         * @return the difference and its interval, e.g. {@code +0.123 [+0.045, +0.201]}
         */
        public String format(int decimals) {
            return formatInterval(difference, lower, upper, decimals);
        }
    }

    /**
     * McNemar's exact test on paired binary outcomes of systems A and B.
     *
     * @param b the items where A succeeds and B fails
     * @param c the items where A fails and B succeeds
     * @param p the exact two-sided p-value: min(1, 2 P(X &le; min(b, c))) with X ~ Binomial(b + c, 1/2); 1 when
     *     b + c = 0
     */
    public record McNemar(int b, int c, double p) {}

    /**
     * @param values at least one finite value
     * @return their mean
     */
    public static double meanOf(double[] values) {
        if (values.length == 0) {
            throw new IllegalParameterException("values", "[]", "must hold at least one value");
        }
        double sum = 0;
        for (double v : values) {
            if (!Double.isFinite(v)) {
                throw new IllegalParameterException("values", v, "must be finite");
            }
            sum += v;
        }
        return sum / values.length;
    }

    /**
     * The per-item means over seeds. Bootstrapping them with {@link #pairedBootstrap} resamples items with all
     * their seeds together, which keeps the pairing of items when scores are pooled over seeds.
     *
     * @param scores one row per seed, one column per item; all rows of the same length
     * @return the mean of each column
     */
    public static double[] meanOverSeeds(double[][] scores) {
        if (scores.length == 0) {
            throw new IllegalParameterException("scores", "no seeds", "must hold at least one seed");
        }
        double[] means = new double[scores[0].length];
        for (double[] seed : scores) {
            if (seed.length != means.length) {
                throw new IllegalParameterException("scores", seed.length + " items in one seed and " + means.length
                        + " in the first", "must have the same items in every seed");
            }
            for (int i = 0; i < means.length; i++) {
                means[i] += seed[i];
            }
        }
        for (int i = 0; i < means.length; i++) {
            means[i] /= scores.length;
        }
        return means;
    }

    /** {@link #pairedBootstrap(double[], double[], int, long)} with {@link #DEFAULT_RESAMPLES} resamples. */
    public static PairedBootstrap pairedBootstrap(double[] a, double[] b, long seed) {
        return pairedBootstrap(a, b, DEFAULT_RESAMPLES, seed);
    }

    /**
     * A paired bootstrap of mean(a) - mean(b): the items are resampled with replacement, the same items for both
     * systems, and the interval is the 2.5 % and 97.5 % percentiles of the resampled differences (linear
     * interpolation between order statistics). One item, or a constant difference, gives a degenerate interval.
     *
     * @param a system A's score on each item, finite
     * @param b system B's score on the same items, in the same order
     * @param resamples the number of resamples, at least 1
     * @param seed the seed of the resampling
     * @return the observed difference, its interval and the fraction of resampled differences at most 0
     */
    public static PairedBootstrap pairedBootstrap(double[] a, double[] b, int resamples, long seed) {
        if (a.length != b.length) {
            throw new IllegalParameterException("b", b.length + " items", "must score the same items as a ("
                    + a.length + ")");
        }
        if (resamples < 1) {
            throw new IllegalParameterException("resamples", resamples, "must be >= 1");
        }
        meanOf(a);
        meanOf(b);
        double[] d = new double[a.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = a[i] - b[i];
        }
        SplittableRandom random = new SplittableRandom(seed);
        double[] means = new double[resamples];
        int atMostZero = 0;
        for (int r = 0; r < resamples; r++) {
            double sum = 0;
            for (int i = 0; i < d.length; i++) {
                sum += d[random.nextInt(d.length)];
            }
            means[r] = sum / d.length;
            atMostZero += means[r] <= 0 ? 1 : 0;
        }
        Arrays.sort(means);
        return new PairedBootstrap(meanOf(d), percentile(means, 0.025), percentile(means, 0.975),
                (double) atMostZero / resamples, resamples);
    }

    /** The q-quantile of sorted values, interpolating linearly between order statistics at (n - 1) q. */
    private static double percentile(double[] sorted, double q) {
        double h = (sorted.length - 1) * q;
        int below = (int) Math.floor(h);
        int above = Math.min(below + 1, sorted.length - 1);
        return sorted[below] + (h - below) * (sorted[above] - sorted[below]);
    }

    /**
     * @param a whether system A succeeds on each item
     * @param b whether system B succeeds on the same items, in the same order
     * @return McNemar's exact test on the discordant pairs
     */
    public static McNemar mcNemar(boolean[] a, boolean[] b) {
        if (a.length != b.length) {
            throw new IllegalParameterException("b", b.length + " items", "must score the same items as a ("
                    + a.length + ")");
        }
        int onlyA = 0;
        int onlyB = 0;
        for (int i = 0; i < a.length; i++) {
            onlyA += a[i] && !b[i] ? 1 : 0;
            onlyB += !a[i] && b[i] ? 1 : 0;
        }
        return mcNemar(onlyA, onlyB);
    }

    /**
     * McNemar's exact test, stable for thousands of discordant pairs: the binomial tail is summed as ratios to its
     * largest term, whose logarithm is computed directly.
     *
     * @param b the items where A succeeds and B fails, at least 0
     * @param c the items where A fails and B succeeds, at least 0
     * @return the counts and the exact two-sided p-value
     */
    public static McNemar mcNemar(int b, int c) {
        if (b < 0) {
            throw new IllegalParameterException("b", b, "must be >= 0");
        }
        if (c < 0) {
            throw new IllegalParameterException("c", c, "must be >= 0");
        }
        int n = b + c;
        int k = Math.min(b, c);
        double logLargest = -n * Math.log(2); // log P(X = k) = log C(n, k) - n log 2
        for (int i = 1; i <= k; i++) {
            logLargest += Math.log((double) (n - k + i) / i);
        }
        double ratio = 1; // P(X = i) / P(X = k), for i from k down to 0
        double tail = 1;
        for (int i = k; i >= 1; i--) {
            ratio *= (double) i / (n - i + 1);
            tail += ratio;
        }
        return new McNemar(b, c, Math.min(1, 2 * Math.exp(logLargest) * tail));
    }

    /**
     * @param estimate the point estimate
     * @param lower the interval's lower end
     * @param upper the interval's upper end
     * @param decimals the digits after the decimal point, at least 0
     * @return the values with explicit signs, e.g. {@code +0.123 [+0.045, +0.201]}; a value that rounds to zero
     *     reads {@code +0.000}
     */
    public static String formatInterval(double estimate, double lower, double upper, int decimals) {
        return fixed(estimate, decimals, true) + " [" + fixed(lower, decimals, true) + ", "
                + fixed(upper, decimals, true) + "]";
    }

    private static String fixed(double value, int decimals, boolean signed) {
        if (decimals < 0) {
            throw new IllegalParameterException("decimals", decimals, "must be >= 0");
        }
        String s = String.format(Locale.ROOT, "%" + (signed ? "+" : "") + "." + decimals + "f", value);
        return s.matches("-0(\\.0*)?") ? (signed ? "+" : "") + s.substring(1) : s;
    }
}
