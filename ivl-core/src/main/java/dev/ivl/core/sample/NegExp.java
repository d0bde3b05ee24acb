package dev.ivl.core.sample;

/**
 * {@code exp(−d)} for {@code d ≥ 0}, as accurate as {@link Math#exp} (relative error below 1e-15) and faster: a
 * table of {@code exp(−j/64)} times a degree-6 Taylor polynomial of {@code exp(−r)}, {@code r ∈ [0, 1/64)}, whose
 * truncation error is below 5e-17. Arguments of 40 and more fall back to {@link Math#exp}.
 */
final class NegExp {
    /** Table steps per unit of d. */
    static final int STEPS_PER_NAT = 64;
    private static final int SIZE = 40 * STEPS_PER_NAT;
    private static final float STEP = 1f / STEPS_PER_NAT;
    private static final double[] TABLE = new double[SIZE];

    static {
        for (int j = 0; j < SIZE; j++) {
            TABLE[j] = Math.exp(-(double) j / STEPS_PER_NAT);
        }
    }

    private NegExp() {}

    /**
     * @param d a non-negative argument (+∞ allowed)
     * @return {@code floor(64·d)}, saturated at {@link Integer#MAX_VALUE}; pass it to {@link #of(float, int)}
     */
    static int index(float d) {
        return (int) (d * STEPS_PER_NAT); // exact product: 64 is a power of two
    }

    /**
     * @param d a non-negative argument, or NaN
     * @param index {@link #index(float) index(d)}
     * @return {@code exp(−d)}; NaN for NaN
     */
    static double of(float d, int index) {
        if (index >= SIZE) {
            return Math.exp(-d);
        }
        double r = d - index * STEP; // exact (Sterbenz): d and index/64 are within a factor 2
        double r2 = r * r;
        // 1 - r + r²/2 - r³/6 + r⁴/24 - r⁵/120 + r⁶/720, evaluated in pairs (Estrin) for a short dependency chain
        double poly = (1 - r) + r2 * ((1.0 / 2 - r * (1.0 / 6)) + r2 * ((1.0 / 24 - r * (1.0 / 120)) + r2 * (1.0 / 720)));
        return TABLE[index] * poly;
    }

    /**
     * @param d a non-negative argument, or NaN
     * @return {@code exp(−d)}
     */
    static double of(float d) {
        return of(d, index(d));
    }
}
