package dev.ivl.core.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ivl.core.IllegalParameterException;
import dev.ivl.core.InvalidInputException;
import dev.ivl.core.combine.CombinedModel;
import dev.ivl.core.combine.ResidualCombiner;
import dev.ivl.core.combine.Stepping;
import dev.ivl.core.fakes.FakeModel;
import dev.ivl.core.model.LanguageModel;
import dev.ivl.core.sample.LogitsProcessor;
import dev.ivl.core.sample.TokenHistory;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link Generator#withDraft}: greedy output token for token equal to plain decoding with the target, for shared
 * value models and for models that share nothing; sampled output distributed as plain sampling (chi-square); the value
 * model shared by draft and target never computes the same position twice; refusals.
 */
class SpeculativeDecodingTest {
    private static final int VOCAB = 16;
    private static final int CONTEXT = 512;

    /** Logits drawn from a seed and the whole sequence: a deterministic "model" with no structure. */
    private static float[] noise(long seed, int[] sequence, double scale) {
        SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + Arrays.hashCode(sequence));
        float[] z = new float[VOCAB];
        for (int i = 0; i < VOCAB; i++) {
            z[i] = (float) (r.nextGaussian() * scale);
        }
        return z;
    }

    /** The large base: its own logits. */
    private static float[] large(int[] s) {
        return noise(1, s, 2);
    }

    /** The small base: the large one's logits plus some of its own, so that it agrees with it often, not always. */
    private static float[] small(int[] s) {
        float[] z = large(s);
        float[] own = noise(2, s, 1.2);
        for (int i = 0; i < z.length; i++) {
            z[i] += own[i];
        }
        return z;
    }

    /** A family: bases L and S and one value model plugged into both with α = 1.5. */
    private record Family(FakeModel large, FakeModel small, FakeModel value, Set<List<Integer>> valueCalls,
            List<String> repeats, CombinedModel target, CombinedModel draft) {
        static Family create() {
            Set<List<Integer>> calls = new HashSet<>();
            List<String> repeats = new java.util.ArrayList<>();
            FakeModel value = new FakeModel(VOCAB, CONTEXT, s -> {
                List<Integer> key = Arrays.stream(s).boxed().toList();
                if (!calls.add(key)) {
                    repeats.add(key.toString());
                }
                return noise(3, s, 1);
            });
            FakeModel l = new FakeModel(VOCAB, CONTEXT, SpeculativeDecodingTest::large);
            FakeModel s = new FakeModel(VOCAB, CONTEXT, SpeculativeDecodingTest::small);
            ResidualCombiner combiner = ResidualCombiner.withAlpha(1.5f);
            return new Family(l, s, value, calls, repeats, combiner.combine(l, value), combiner.combine(s, value));
        }
    }

    private static GenerationResult generate(Generator g, int[] prompt, GenerationConfig config) {
        return g.generate(prompt, config, TokenListener.NONE, new CancellationToken());
    }

    @Test
    void greedyOutputEqualsPlainDecodingWithTheTargetTokenForToken() {
        int[] prompt = {1, 2, 3};
        GenerationConfig config = GenerationConfig.builder().maxNewTokens(200).greedy().build();
        Family f = Family.create();
        int[] plain = generate(new Generator(f.target()), prompt, config).tokens();
        assertEquals(200, plain.length);
        for (Speculation s : List.of(Speculation.of(1), Speculation.of(2), Speculation.of(4), Speculation.of(8),
                new Speculation(8, true), new Speculation(3, false))) {
            Family fresh = Family.create();
            // the last one steps the parts at the same time: the draft's bases and value, the target's base and value
            Stepping stepping = s.draftTokens() == 3 ? Stepping.CONCURRENT : Stepping.SEQUENTIAL;
            GenerationResult r = generate(new Generator(fresh.target().withStepping(stepping))
                    .withDraft(fresh.draft().withStepping(stepping), s), prompt, config);
            assertArrayEquals(plain, r.tokens(), s.toString());
            SpeculationStats stats = r.speculation().orElseThrow();
            assertTrue(stats.accepted() > 0 && stats.rejected() > 0, "the draft is right sometimes, not always: "
                    + stats);
            assertTrue(stats.accepted() + stats.rounds() - 1 <= 200 && 200 <= stats.accepted() + stats.rounds(),
                    "every round gives its kept tokens and one more: " + stats);
            assertTrue(stats.drafted() <= s.draftTokens() * stats.rounds(), stats.toString());
            assertEquals(List.of(), fresh.repeats(), "the shared value model computed a position twice");
            assertEquals(0, fresh.large().openSessions() + fresh.small().openSessions()
                    + fresh.value().openSessions(), "sessions left open");
        }
    }

    @Test
    void theSharedValueModelRunsOncePerTokenAndTheTargetOncePerRound() {
        Family f = Family.create();
        GenerationConfig config = GenerationConfig.builder().maxNewTokens(100).greedy().build();
        GenerationResult r = generate(new Generator(f.target()).withDraft(f.draft(), Speculation.of(4)),
                new int[] {5}, config);
        SpeculationStats stats = r.speculation().orElseThrow();
        assertEquals(1, f.value().sessions().size(), "one value session serves draft and target");
        FakeModel.FakeSession large = f.large().sessions().get(0);
        // the target scores a round's drafted tokens in one call (the default appendAll: one call per token, all
        // of them in a row); the value model sees each of its sequences once
        assertTrue(large.appendSizes().length <= stats.drafted() + stats.rounds(), "target calls "
                + large.appendSizes().length + " for " + stats);
        assertEquals(f.valueCalls().size(), f.value().sessions().get(0).appendSizes().length);
    }

    @Test
    void modelsThatShareNothingStillGiveTheTargetsTokens() {
        // two plain models (as a cascade is to speculation: no combination to share a part of)
        FakeModel l = new FakeModel(VOCAB, CONTEXT, SpeculativeDecodingTest::large);
        FakeModel s = new FakeModel(VOCAB, CONTEXT, SpeculativeDecodingTest::small);
        GenerationConfig config = GenerationConfig.builder().maxNewTokens(120).greedy().build();
        int[] plain = generate(new Generator(l), new int[] {7, 8}, config).tokens();
        GenerationResult r = generate(new Generator(l).withDraft(s, Speculation.of(3)), new int[] {7, 8}, config);
        assertArrayEquals(plain, r.tokens());
        assertTrue(r.speculation().orElseThrow().accepted() > 0);
    }

    @Test
    void stopTokensLengthAndContextEndASpeculativeGenerationAsAPlainOne() {
        Family f = Family.create();
        int[] prompt = {1, 2, 3};
        GenerationConfig base = GenerationConfig.builder().maxNewTokens(200).greedy().build();
        int[] plain = generate(new Generator(f.target()), prompt, base).tokens();
        int stop = plain[37];
        int first = 0;
        while (plain[first] != stop) {
            first++;
        }
        GenerationConfig stopping = base.toBuilder().stopTokenIds(stop).build();
        for (GenerationConfig c : List.of(stopping, base.toBuilder().maxNewTokens(23).build())) {
            GenerationResult want = generate(new Generator(f.target()), prompt, c);
            GenerationResult got = generate(new Generator(f.target()).withDraft(f.draft(), Speculation.of(5)), prompt,
                    c);
            assertArrayEquals(want.tokens(), got.tokens());
            assertEquals(want.finishReason(), got.finishReason());
        }
        assertEquals(first + 1, generate(new Generator(f.target()), prompt, stopping).tokens().length);
        // a context of 40: the last rounds draft fewer tokens, and generation ends where plain decoding's does
        FakeModel l = new FakeModel(VOCAB, 40, SpeculativeDecodingTest::large);
        FakeModel s = new FakeModel(VOCAB, 40, SpeculativeDecodingTest::small);
        GenerationResult want = generate(new Generator(l), prompt, base);
        GenerationResult got = generate(new Generator(l).withDraft(s, Speculation.of(8)), prompt, base);
        assertArrayEquals(want.tokens(), got.tokens());
        assertEquals(FinishReason.CONTEXT_FULL, got.finishReason());
    }

    @Test
    void logprobsAreThoseOfPlainDecoding() {
        Family f = Family.create();
        GenerationConfig config = GenerationConfig.builder().maxNewTokens(30).greedy().logprobs(3).build();
        GenerationResult plain = generate(new Generator(f.target()), new int[] {3}, config);
        GenerationResult drafted = generate(new Generator(f.target()).withDraft(f.draft(), Speculation.of(4)),
                new int[] {3}, config);
        assertEquals(plain.logprobs(), drafted.logprobs());
        assertEquals(30, drafted.logprobs().size());
    }

    @Test
    void aCancelledGenerationStopsAfterTheSameTokenAsAPlainOneAndClosesItsSessions() {
        Family f = Family.create();
        GenerationConfig config = GenerationConfig.builder().maxNewTokens(100).greedy().build();
        for (boolean speculative : new boolean[] {false, true}) {
            CancellationToken cancel = new CancellationToken();
            List<Integer> streamed = new java.util.ArrayList<>();
            TokenListener listener = new TokenListener() {
                @Override
                public void onText(String text) {}

                @Override
                public void onToken(int tokenId) {
                    streamed.add(tokenId);
                    if (streamed.size() == 10) {
                        cancel.cancel();
                    }
                }
            };
            Generator g = new Generator(f.target());
            GenerationResult r = (speculative ? g.withDraft(f.draft(), Speculation.of(4)) : g)
                    .generate(new int[] {1, 2}, config, listener, cancel);
            assertEquals(FinishReason.CANCELLED, r.finishReason(), "speculative: " + speculative);
            assertEquals(10, r.tokens().length, "speculative: " + speculative);
            assertEquals(streamed, Arrays.stream(r.tokens()).boxed().toList(), "every token streamed once, in order");
        }
        assertEquals(0, f.large().openSessions() + f.small().openSessions() + f.value().openSessions());
    }

    /**
     * Sampling with every built-in processor: sequences of three tokens over 20,000 seeds, against the exact
     * distribution of plain sampling from the target (enumerated through the same processors). Outcomes expected
     * fewer than 5 times are pooled. The critical value is the upper 0.001 quantile of chi-square (Wilson–Hilferty).
     * The seeds are fixed, so the outcome is deterministic; the same counts tested against the draft's own
     * distribution must be rejected, which shows the test can tell the two apart.
     */
    @Test
    void sampledSequencesFollowPlainSamplingFromTheTarget() {
        int[] prompt = {4, 9};
        GenerationConfig config = GenerationConfig.builder().maxNewTokens(3).temperature(0.7f).topK(6).topP(0.95f)
                .minP(0.02f).repetitionPenalty(1.3f).build();
        Family f = Family.create();
        Generator speculative = new Generator(f.target()).withDraft(f.draft(), Speculation.of(2));
        int n = 20_000;
        Map<List<Integer>, Integer> counts = new HashMap<>();
        for (int i = 0; i < n; i++) {
            int[] t = generate(speculative, prompt, config.toBuilder().seed(i).build()).tokens();
            counts.merge(Arrays.stream(t).boxed().toList(), 1, Integer::sum);
        }
        Map<List<Integer>, Double> target = exact(f.target(), prompt, config, 3);
        Map<List<Integer>, Double> draft = exact(f.draft(), prompt, config, 3);
        for (List<Integer> seen : counts.keySet()) {
            assertTrue(target.containsKey(seen), "drew " + seen + ", which plain sampling never gives");
        }
        double[] fit = chiSquare(counts, target, n);
        assertTrue(fit[0] < fit[1], "chi-square " + fit[0] + " >= " + fit[1] + " against the target's distribution");
        double[] wrong = chiSquare(counts, draft, n);
        assertTrue(wrong[0] > wrong[1], "the test cannot tell the draft's distribution from the target's: " + wrong[0]);
    }

    /** @return {statistic, critical value at 0.001} of Pearson's test, outcomes expected under 5 pooled */
    private static double[] chiSquare(Map<List<Integer>, Integer> counts, Map<List<Integer>, Double> p, int n) {
        double statistic = 0;
        int bins = 0;
        double pooledExpected = 0;
        int pooledCount = 0;
        Set<List<Integer>> all = new HashSet<>(p.keySet());
        all.addAll(counts.keySet());
        for (List<Integer> o : all) {
            double expected = n * p.getOrDefault(o, 0.0);
            int count = counts.getOrDefault(o, 0);
            if (expected < 5) {
                pooledExpected += expected;
                pooledCount += count;
            } else {
                statistic += (count - expected) * (count - expected) / expected;
                bins++;
            }
        }
        if (pooledExpected > 0) {
            statistic += (pooledCount - pooledExpected) * (pooledCount - pooledExpected) / pooledExpected;
            bins++;
        }
        int df = bins - 1;
        double z = 3.0902; // upper 0.001 quantile of the standard normal
        double c = 2.0 / (9 * df);
        return new double[] {statistic, df * Math.pow(1 - c + z * Math.sqrt(c), 3)};
    }

    /** @return the probability of every continuation of {@code length} tokens under plain sampling */
    private static Map<List<Integer>, Double> exact(LanguageModel model, int[] prompt, GenerationConfig config,
            int length) {
        Map<List<Integer>, Double> out = new HashMap<>();
        expand(model, prompt, config, length, List.of(), 1.0, out);
        return out;
    }

    private static void expand(LanguageModel model, int[] prompt, GenerationConfig config, int length,
            List<Integer> so, double probability, Map<List<Integer>, Double> out) {
        if (so.size() == length) {
            out.put(so, probability);
            return;
        }
        int[] sequence = new int[prompt.length + so.size()];
        System.arraycopy(prompt, 0, sequence, 0, prompt.length);
        for (int i = 0; i < so.size(); i++) {
            sequence[prompt.length + i] = so.get(i);
        }
        float[] z;
        try (var session = model.newSession()) {
            z = session.append(sequence);
        }
        TokenHistory history = new TokenHistory(prompt);
        so.forEach(history::add);
        for (LogitsProcessor p : config.logitsProcessors()) {
            p.process(z, history);
        }
        double[] q = Speculative.probabilities(z);
        for (int t = 0; t < q.length; t++) {
            if (q[t] > 0) {
                List<Integer> next = new java.util.ArrayList<>(so);
                next.add(t);
                expand(model, prompt, config, length, next, probability * q[t], out);
            }
        }
    }

    @Test
    void aDraftOfAnotherVocabularyOrASamplerWithoutADistributionIsRefused() {
        Family f = Family.create();
        FakeModel other = new FakeModel(VOCAB + 1, CONTEXT, s -> new float[VOCAB + 1]);
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> new Generator(f.target()).withDraft(other, Speculation.of(4)));
        assertEquals("the draft has a vocabulary of 17 tokens and the target one of 16: speculative decoding needs one"
                + " vocabulary", e.getMessage());
        GenerationConfig custom = GenerationConfig.builder().sampler((z, r) -> 0).build();
        Generator g = new Generator(f.target()).withDraft(f.draft(), Speculation.of(4));
        IllegalParameterException p = assertThrows(IllegalParameterException.class,
                () -> generate(g, new int[] {1}, custom));
        assertTrue(p.getMessage().contains("sampler"), p.getMessage());
        assertThrows(IllegalParameterException.class, () -> Speculation.of(0));
        assertThrows(IllegalParameterException.class, () -> Speculation.of(65));
    }
}
