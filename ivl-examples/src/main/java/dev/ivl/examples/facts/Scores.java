package dev.ivl.examples.facts;

import dev.ivl.core.generate.TokenLogprob;
import dev.ivl.core.model.LanguageModel;
import dev.ivl.core.model.Session;
import dev.ivl.examples.experiment.Metrics;
import java.util.Arrays;
import java.util.List;

/**
 * How one answer to one question scores. Format and knowledge are kept apart: an answer can have the learnt format
 * with the wrong fact, or the right fact in another format.
 *
 * @param exactMatch the answer is the reference exactly (format and fact right)
 * @param format the answer has the learnt format: {@code Answer: <one word>.}, ended by the end-of-sequence token
 * @param factFound the fact is the answer's first word after {@code Answer:}, or, without the prefix, its first word
 * @param f1 word F1 between the answer's first n words and the reference (n = the reference's word count)
 * @param formatNll teacher-forced negative log-likelihood of the reference's format tokens, per token
 * @param knowledgeNll teacher-forced negative log-likelihood of the reference's fact tokens, per token
 */
public record Scores(boolean exactMatch, boolean format, boolean factFound, double f1, double formatNll,
        double knowledgeNll) {

    /**
     * @param question what was asked
     * @param answer the generated text
     * @param endedWithEos whether generation stopped at the end-of-sequence token
     * @param nll the teacher-forced likelihoods of the reference
     * @return the scores
     */
    public static Scores of(FactWorld.Question question, String answer, boolean endedWithEos, Likelihood nll) {
        String a = answer.strip();
        String prefix = FactWorld.Question.ANSWER_PREFIX;
        boolean format = endedWithEos && a.matches(java.util.regex.Pattern.quote(prefix) + " [\\p{L}]+\\.");
        String rest = a.startsWith(prefix) ? a.substring(prefix.length()).strip() : a;
        String first = rest.split("[^\\p{L}]+", 2)[0];
        List<String> reference = words(question.reference());
        List<String> got = words(a);
        String head = String.join(" ", got.subList(0, Math.min(got.size(), reference.size())));
        return new Scores(a.equals(question.reference()) && endedWithEos, format, first.equals(question.fact()),
                Metrics.tokenF1(head, String.join(" ", reference)), nll.format(), nll.knowledge());
    }

    private static List<String> words(String text) {
        return Arrays.stream(text.split("[^\\p{L}\\p{N}]+")).filter(w -> !w.isEmpty()).toList();
    }

    /**
     * The per-token negative log-likelihoods of a reference answer after its prompt, split into the fact's tokens
     * and the rest (the format: {@code Answer}, {@code :}, {@code .}, end of sequence).
     *
     * @param format mean over the format tokens
     * @param knowledge mean over the fact's tokens
     */
    public record Likelihood(double format, double knowledge) {
        /**
         * @param model the model, any combination
         * @param prompt the prompt's tokens
         * @param reference the reference's tokens, ending with the end-of-sequence token
         * @param fact which reference tokens spell the fact
         * @return the likelihoods
         */
        public static Likelihood of(LanguageModel model, int[] prompt, int[] reference, boolean[] fact) {
            double formatSum = 0;
            double knowledgeSum = 0;
            int formatCount = 0;
            int knowledgeCount = 0;
            try (Session session = model.newSession()) {
                float[] logits = session.append(prompt);
                for (int i = 0; i < reference.length; i++) {
                    double nll = TokenLogprob.logNormalizer(logits) - logits[reference[i]];
                    if (fact[i]) {
                        knowledgeSum += nll;
                        knowledgeCount++;
                    } else {
                        formatSum += nll;
                        formatCount++;
                    }
                    if (i + 1 < reference.length) {
                        logits = session.append(reference[i]);
                    }
                }
            }
            return new Likelihood(formatCount == 0 ? Double.NaN : formatSum / formatCount,
                    knowledgeCount == 0 ? Double.NaN : knowledgeSum / knowledgeCount);
        }
    }
}
