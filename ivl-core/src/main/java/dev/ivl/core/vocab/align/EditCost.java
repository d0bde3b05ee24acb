package dev.ivl.core.vocab.align;

/**
 * The cost of aligning two tokens: the edit distance (Levenshtein, over bytes) of their normalised forms, times
 * 0.1 when one is a substring of the other. One instance per thread: it reuses its work rows.
 */
final class EditCost {
    /** Factor applied when one form contains the other. */
    static final float SUBSTRING_DISCOUNT = 0.1f;

    private int[] previous = new int[32];
    private int[] current = new int[32];

    /**
     * @param a normalised bytes of one token
     * @param b normalised bytes of the other
     * @return the cost, 0 for equal forms
     */
    float cost(byte[] a, byte[] b) {
        int distance = distance(a, b);
        if (distance == 0) {
            return 0f;
        }
        boolean nested = a.length <= b.length ? contains(b, a) : contains(a, b);
        return nested ? distance * SUBSTRING_DISCOUNT : distance;
    }

    /** @return the Levenshtein distance: insertions, deletions and substitutions of single bytes */
    int distance(byte[] a, byte[] b) {
        int m = b.length;
        if (previous.length <= m) {
            previous = new int[m + 1];
            current = new int[m + 1];
        }
        int[] prev = previous;
        int[] cur = current;
        for (int j = 0; j <= m; j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length; i++) {
            cur[0] = i;
            byte ai = a[i - 1];
            for (int j = 1; j <= m; j++) {
                int substitute = prev[j - 1] + (ai == b[j - 1] ? 0 : 1);
                cur[j] = Math.min(substitute, Math.min(prev[j], cur[j - 1]) + 1);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[m];
    }

    /** @return whether {@code needle} occurs in {@code haystack} (the empty needle occurs everywhere) */
    static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int start = 0; start + needle.length <= haystack.length; start++) {
            for (int k = 0; k < needle.length; k++) {
                if (haystack[start + k] != needle[k]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }
}
