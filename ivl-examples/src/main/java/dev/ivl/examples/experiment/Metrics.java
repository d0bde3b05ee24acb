package dev.ivl.examples.experiment;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The automatic metrics of the demonstration task, on one answer. The continuation of an answer is its text after
 * {@link Demonstration#ANSWER_PREFIX} (the whole text when the prefix is missing), stripped.
 */
public final class Metrics {
    private Metrics() {}

    /**
     * @param answer the generated answer
     * @return its continuation: the text after the answer prefix, or the whole text without it, stripped
     */
    public static String continuation(String answer) {
        String a = answer.strip();
        String prefix = Demonstration.ANSWER_PREFIX.strip();
        return (a.startsWith(prefix) ? a.substring(prefix.length()) : a).strip();
    }

    /**
     * @param answer the generated answer
     * @param expected the expected continuation
     * @return whether the answer's continuation equals the expected one, up to runs of white space
     */
    public static boolean exactMatch(String answer, String expected) {
        return continuation(answer).replaceAll("\\s+", " ").equals(expected.strip().replaceAll("\\s+", " "));
    }

    /**
     * The harmonic mean of word precision and recall between the answer's continuation and the expected one, as
     * in SQuAD: words are the lower-cased runs of letters and digits, counted with multiplicity; 1 when both have no
     * word, 0 when only one has none.
     *
     * @param answer the generated answer
     * @param expected the expected continuation
     * @return the F1 in [0, 1]
     */
    public static double tokenF1(String answer, String expected) {
        List<String> got = words(continuation(answer));
        List<String> want = words(expected);
        if (got.isEmpty() || want.isEmpty()) {
            return got.isEmpty() && want.isEmpty() ? 1 : 0;
        }
        Map<String, Integer> counts = new HashMap<>();
        want.forEach(w -> counts.merge(w, 1, Integer::sum));
        int common = 0;
        for (String w : got) {
            Integer left = counts.get(w);
            if (left != null && left > 0) {
                common++;
                counts.put(w, left - 1);
            }
        }
        if (common == 0) {
            return 0;
        }
        double precision = (double) common / got.size();
        double recall = (double) common / want.size();
        return 2 * precision * recall / (precision + recall);
    }

    /**
     * @param answer the generated answer
     * @param endedWithEos whether generation stopped at the end-of-sequence token (not at the token limit)
     * @return whether the answer follows the format: it starts with the answer prefix, has a non-empty
     *     continuation, and ends with EOS
     */
    public static boolean formatCompliant(String answer, boolean endedWithEos) {
        String a = answer.strip();
        return endedWithEos && a.startsWith(Demonstration.ANSWER_PREFIX.strip())
                && !a.substring(Demonstration.ANSWER_PREFIX.strip().length()).isBlank();
    }

    static List<String> words(String text) {
        List<String> words = new ArrayList<>();
        for (String w : text.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+")) {
            if (!w.isEmpty()) {
                words.add(w);
            }
        }
        return words;
    }
}
