package dev.ivl.djl.train.data;

/**
 * Steele, Lea and Flood's SplitMix64 generator, written out so that shuffles depend only on the seed: the same on
 * every JVM and Java version (unlike {@code Collections.shuffle}, whose algorithm is not specified). Its outputs
 * equal those of {@code new java.util.SplittableRandom(seed).nextLong()}.
 */
final class SplitMix64 {
    private static final long GAMMA = 0x9e3779b97f4a7c15L;
    private long state;

    SplitMix64(long seed) {
        state = seed;
    }

    long nextLong() {
        state += GAMMA;
        return mix(state);
    }

    /** @return a number in [0, bound), bound &gt; 0; the bias of the modulo is below 2^-32 */
    int nextInt(int bound) {
        return (int) Long.remainderUnsigned(nextLong(), bound);
    }

    /** Stafford's variant 13 of the MurmurHash3 finalizer. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
