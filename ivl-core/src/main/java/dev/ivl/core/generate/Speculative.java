package dev.ivl.core.generate;

import dev.ivl.core.IllegalParameterException;
import dev.ivl.core.InvalidInputException;
import dev.ivl.core.combine.Combination;
import dev.ivl.core.combine.CombinedModel;
import dev.ivl.core.combine.LogitsCombiner;
import dev.ivl.core.combine.Stepping;
import dev.ivl.core.internal.ConcurrentSteps;
import dev.ivl.core.model.LanguageModel;
import dev.ivl.core.model.Session;
import dev.ivl.core.sample.CategoricalSampler;
import dev.ivl.core.sample.GreedySampler;
import dev.ivl.core.sample.Sampler;
import dev.ivl.core.sample.TokenHistory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.random.RandomGenerator;

/**
 * Speculative decoding of one request at a time. Each round the draft proposes up to k tokens, one forward step each;
 * the target scores all of them in one pass ({@link Session#appendAll}); a rule keeps a prefix of them and chooses
 * one more token from the target's logits, so that every round gives at least one token:
 *
 * <ul>
 *   <li>greedy: a drafted token is kept when it is the argmax of the target's processed logits, and the token
 *       chosen after the kept prefix is that argmax: the tokens of plain greedy decoding with the target;
 *   <li>sampling ({@link CategoricalSampler}): drafted token d, drawn from the draft's distribution p, is kept with
 *       probability {@code min(1, q(d)/p(d))}, q being the target's distribution; after a rejection the token is
 *       drawn from {@code max(0, q − p)} renormalised, and after a round that kept every drafted token from q. The
 *       tokens are then distributed as plain sampling from the target (Leviathan et al., 2023; Chen et al., 2023).
 * </ul>
 *
 * p and q are the distributions after every logits processor of the request, each computed with the history the
 * token would follow (the kept tokens, then the drafted ones before it), so the penalties and filters act as in
 * plain decoding.
 *
 * <p>A model that decodes a {@link Combination} is run by its parts. A part that the draft and the target share (one
 * value model plugged into both bases; under the residual scheme it sees only the text) has one session: it is fed
 * each drafted token once, when the draft proposes it, and its logits after a token serve both the draft's next
 * proposal and the target's check of that position; the last drafted token is fed only when every drafted token was
 * kept (its logits then serve the target's extra token); a rejection rewinds it past the tokens not kept. So it never
 * runs twice for the same token at the same position. Models that are no combination (a cascade, whose value model
 * reads its own base's distribution) run whole, each with its own session.
 *
 * <p>When a combination steps its parts at the same time ({@link Stepping#CONCURRENT}), so does speculation, on one
 * extra thread per request: the draft's parts each step, and during the verification the shared parts take the last
 * drafted token while the target's own parts score the round (that work is rewound if a drafted token is rejected).
 * Each part then runs with the engine's intra-op threads: give the engine one per core it may use.
 */
final class Speculative {
    private final Parts draft;
    private final Parts target;
    private final Speculation speculation;
    private final int draftContext;
    private final int targetContext;

    Speculative(LanguageModel draft, LanguageModel target, Speculation speculation) {
        this.draft = Parts.of(draft);
        this.target = Parts.of(target);
        this.speculation = speculation;
        this.draftContext = draft.maxSequenceLength();
        this.targetContext = target.maxSequenceLength();
    }

    /**
     * The models a combination is computed from and how, or a model on its own.
     *
     * @param concurrent whether the combination steps its parts at the same time ({@link Stepping#CONCURRENT})
     */
    private record Parts(List<LanguageModel> models, LogitsCombiner combiner, int size, boolean concurrent) {
        static Parts of(LanguageModel model) {
            Optional<CombinedModel> combined = model instanceof Combination c ? c.combination() : Optional.empty();
            return combined.map(c -> new Parts(c.parts(), c.combiner(), c.vocabSize(),
                    c.stepping() == Stepping.CONCURRENT))
                    .orElseGet(() -> new Parts(List.of(model), null, model.vocabSize(), false));
        }

        /** @return the combined logits of the parts' rows, a new array */
        float[] combine(float[][] rows) {
            if (combiner == null) {
                return rows[0].clone();
            }
            float[] out = new float[size];
            combiner.combine(rows, out);
            return out;
        }
    }

    /**
     * @param prompt the checked prompt
     * @param decoding the request's decoding state
     * @return the result, with the speculation's counts
     * @throws IllegalParameterException if the request's sampler is neither greedy nor categorical
     */
    GenerationResult decode(int[] prompt, Decoding decoding) {
        Sampler sampler = decoding.sampler();
        if (sampler != GreedySampler.INSTANCE && sampler != CategoricalSampler.INSTANCE) {
            throw new IllegalParameterException("sampler", sampler.getClass().getSimpleName(), "is not supported by"
                    + " speculative decoding, which needs the distribution a sampler draws from: use greedy or"
                    + " categorical sampling (temperature and the filters are fine)");
        }
        try (Run run = new Run(prompt)) {
            return run.decode(decoding, sampler == GreedySampler.INSTANCE);
        }
    }

    /** The sessions and the tokens of one request. */
    private final class Run implements AutoCloseable {
        /** Every model once: the draft's parts, then the target's that the draft does not have. */
        private final List<LanguageModel> models = new ArrayList<>();
        private final List<Session> sessions = new ArrayList<>();
        private final int[] draftPart;
        private final int[] targetPart;
        private final boolean[] shared;
        /** Under concurrent stepping, the thread that steps the parts but the first; else null. */
        private final ExecutorService worker;
        /** The kept tokens (prompt first), then the round's drafted ones. */
        private int[] seq;
        private int length;
        private int rounds;
        private int drafted;
        private int accepted;

        Run(int[] prompt) {
            draftPart = indices(draft.models());
            targetPart = indices(target.models());
            shared = new boolean[models.size()];
            for (int d : draftPart) {
                for (int t : targetPart) {
                    shared[d] |= d == t;
                }
            }
            try {
                for (LanguageModel m : models) {
                    sessions.add(m.newSession());
                }
            } catch (RuntimeException e) {
                close();
                throw e;
            }
            seq = Arrays.copyOf(prompt, prompt.length + Speculation.MAX_DRAFT_TOKENS + 16);
            length = prompt.length;
            worker = draft.concurrent() || target.concurrent() ? Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "ivl-speculation-step");
                t.setDaemon(true);
                return t;
            }) : null;
        }

        private int[] indices(List<LanguageModel> parts) {
            int[] at = new int[parts.size()];
            for (int i = 0; i < at.length; i++) {
                int found = -1;
                for (int j = 0; j < models.size() && found < 0; j++) {
                    found = models.get(j) == parts.get(i) ? j : -1;
                }
                if (found < 0) {
                    found = models.size();
                    models.add(parts.get(i));
                }
                at[i] = found;
            }
            return at;
        }

        GenerationResult decode(Decoding decoding, boolean greedy) {
            long start = System.nanoTime();
            if (length > 1) { // every model holds the prompt but its last token, which each round feeds first
                int[] head = Arrays.copyOf(seq, length - 1);
                for (Session s : sessions) {
                    s.append(head);
                }
            }
            decoding.prefilled(start);
            int k = speculation.draftTokens();
            while (!decoding.cancelled()) {
                boolean all = round(decoding, greedy, k);
                if (decoding.ended()) {
                    break;
                }
                if (speculation.adaptive()) {
                    k = all ? Math.min(speculation.draftTokens(), k + 1) : Math.max(1, k - 1);
                }
            }
            return decoding.result(new SpeculationStats(rounds, drafted, accepted));
        }

        /** @return whether the round kept every drafted token */
        private boolean round(Decoding decoding, boolean greedy, int want) {
            int n = length; // kept tokens; every session holds at least n - 1 of them
            int k = Math.max(0, Math.min(Math.min(want, decoding.remaining() - 1),
                    Math.min(targetContext - n, draftContext - n + 1)));
            RandomGenerator random = decoding.random();
            TokenHistory history = decoding.history();
            float[][][] sharedRows = new float[models.size()][][];
            for (int u = 0; u < models.size(); u++) {
                sharedRows[u] = shared[u] ? new float[k + 1][] : null;
            }
            double[][] p = greedy ? null : new double[k][];
            int proposed = 0;
            for (int i = 0; i < k; i++) { // draft: one step per token
                float[][] rows = draftRows(n + i);
                for (int j = 0; j < rows.length; j++) {
                    if (shared[draftPart[j]]) {
                        sharedRows[draftPart[j]][i] = rows[j];
                    }
                }
                float[] z = draft.combine(rows);
                decoding.process(z, history);
                int token;
                if (greedy) {
                    token = GreedySampler.INSTANCE.sample(z, random);
                } else {
                    p[i] = probabilities(z);
                    token = draw(p[i], random);
                }
                push(token);
                history.add(token);
                proposed++;
                if (decoding.isStopToken(token)) {
                    break; // nothing after a stop token is needed
                }
            }
            history.truncate(n);
            k = proposed;
            rounds++;
            drafted += k;
            float[][][] targetRows = verify(n, k, sharedRows);
            int kept = 0;
            int token = -1;
            boolean keep = false;
            for (int i = 0; i <= k; i++) {
                if (decoding.cancelled()) {
                    return false;
                }
                float[] raw = targetRow(i, n, k, targetRows, sharedRows);
                float[] q = raw.clone();
                decoding.process(q, history);
                if (i == k) { // every drafted token kept: one more from the target
                    token = decoding.sampler().sample(q, random);
                    keep = false;
                } else if (greedy) {
                    token = GreedySampler.INSTANCE.sample(q, random);
                    keep = token == seq[n + i];
                } else {
                    double[] qp = probabilities(q);
                    int d = seq[n + i];
                    keep = random.nextDouble() * p[i][d] < qp[d]; // u < q(d) / p(d)
                    token = keep ? d : drawResidual(qp, p[i], random);
                }
                int next = decoding.accept(token, decoding.wantsLogprobs() ? raw : null, n + i);
                if (keep) {
                    kept++;
                }
                if (!keep || next < 0) {
                    break;
                }
            }
            accepted += kept;
            length = n + kept;
            if (!keep) {
                push(token); // the token the target chose (over a rejected draft, if any)
            }
            for (Session s : sessions) { // forget what follows the kept tokens
                s.rewind(Math.min(s.position(), length - 1));
            }
            return kept == k;
        }

        /** @return the draft's parts' logits after {@code seq[0, end)}, the parts stepped at the same time if asked */
        private float[][] draftRows(int end) {
            float[][] rows = new float[draftPart.length][];
            if (worker == null || !draft.concurrent() || rows.length == 1) {
                for (int j = 0; j < rows.length; j++) {
                    rows[j] = lastRow(draftPart[j], end);
                }
                return rows;
            }
            List<Future<float[]>> rest = new ArrayList<>();
            for (int j = 1; j < rows.length; j++) {
                int u = draftPart[j];
                rest.add(worker.submit(() -> lastRow(u, end)));
            }
            List<float[]> done = ConcurrentSteps.awaitAfter(() -> rows[0] = lastRow(draftPart[0], end), rest);
            for (int j = 1; j < rows.length; j++) {
                rows[j] = done.get(j - 1);
            }
            return rows;
        }

        /**
         * Scores the drafted tokens: the target's own parts in one pass each; under concurrent stepping, the shared
         * parts meanwhile take the last drafted token (needed if every drafted token is kept; rewound otherwise).
         *
         * @return the own parts' logits at the k + 1 positions, by model index
         */
        private float[][][] verify(int n, int k, float[][][] sharedRows) {
            List<Future<float[]>> ahead = new ArrayList<>();
            List<Integer> aheadParts = new ArrayList<>();
            if (worker != null && target.concurrent()) {
                for (int u : targetPart) {
                    if (shared[u]) {
                        aheadParts.add(u);
                        ahead.add(worker.submit(() -> lastRow(u, n + k)));
                    }
                }
            }
            float[][][] targetRows = new float[models.size()][][];
            List<float[]> done = ConcurrentSteps.awaitAfter(() -> {
                for (int u : targetPart) {
                    if (!shared[u] && targetRows[u] == null) {
                        float[][] all = sessions.get(u).appendAll(pending(u, n + k));
                        targetRows[u] = Arrays.copyOfRange(all, all.length - (k + 1), all.length);
                    }
                }
            }, ahead);
            for (int i = 0; i < done.size(); i++) {
                sharedRows[aheadParts.get(i)][k] = done.get(i);
            }
            return targetRows;
        }

        /**
         * The target's logits after the kept tokens and the first {@code i} drafted ones: its own parts' rows from
         * the verification pass, the shared parts' from the drafting (or, after the last drafted token, from feeding
         * it now).
         */
        private float[] targetRow(int i, int n, int k, float[][][] targetRows, float[][][] sharedRows) {
            float[][] rows = new float[targetPart.length][];
            for (int j = 0; j < rows.length; j++) {
                int u = targetPart[j];
                if (!shared[u]) {
                    rows[j] = targetRows[u][i];
                } else {
                    if (sharedRows[u][i] == null) {
                        sharedRows[u][i] = lastRow(u, n + i);
                    }
                    rows[j] = sharedRows[u][i];
                }
            }
            return target.combine(rows);
        }

        /** @return model {@code u}'s logits after {@code seq[0, end)}, feeding what its session lacks */
        private float[] lastRow(int u, int end) {
            return sessions.get(u).append(pending(u, end));
        }

        /** @return the tokens model {@code u}'s session lacks of {@code seq[0, end)}: at least one */
        private int[] pending(int u, int end) {
            return Arrays.copyOfRange(seq, sessions.get(u).position(), end);
        }

        private void push(int token) {
            if (length == seq.length) {
                seq = Arrays.copyOf(seq, seq.length * 2);
            }
            seq[length++] = token;
        }

        @Override
        public void close() {
            if (worker != null) {
                worker.shutdown();
            }
            sessions.forEach(Session::close);
        }
    }

    /**
     * @param z processed logits; −∞ has probability 0
     * @return {@code softmax(z)} in double
     * @throws InvalidInputException if a logit is NaN or +∞, or none is finite
     */
    static double[] probabilities(float[] z) {
        float max = Float.NEGATIVE_INFINITY;
        for (float v : z) {
            if (Float.isNaN(v) || v == Float.POSITIVE_INFINITY) {
                throw new InvalidInputException("cannot sample: the logits contain NaN or +Infinity");
            }
            max = Math.max(max, v);
        }
        if (max == Float.NEGATIVE_INFINITY) {
            throw new InvalidInputException("cannot sample: no finite logit (every token was filtered out)");
        }
        double logZ = TokenLogprob.logNormalizer(z);
        double[] p = new double[z.length];
        for (int i = 0; i < z.length; i++) {
            p[i] = Math.exp(z[i] - logZ); // 0 for −∞
        }
        return p;
    }

    /** @return an id drawn from {@code weights} (not necessarily normalised; their sum is positive) */
    private static int draw(double[] weights, RandomGenerator random) {
        double sum = 0;
        for (double w : weights) {
            sum += w;
        }
        double u = random.nextDouble() * sum;
        double cumulative = 0;
        int last = -1;
        for (int i = 0; i < weights.length; i++) {
            if (weights[i] > 0) {
                cumulative += weights[i];
                last = i;
                if (u < cumulative) {
                    return i;
                }
            }
        }
        return last; // u fell on the rounding margin of the last term
    }

    /** @return an id drawn from {@code max(0, q − p)}, renormalised (from q if that is zero everywhere) */
    private static int drawResidual(double[] q, double[] p, RandomGenerator random) {
        double[] residual = new double[q.length];
        double sum = 0;
        for (int i = 0; i < q.length; i++) {
            residual[i] = Math.max(0, q[i] - p[i]);
            sum += residual[i];
        }
        return draw(sum > 0 ? residual : q, random);
    }
}
