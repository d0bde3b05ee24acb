package dev.ivl.djl.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ivl.core.InvalidInputException;
import dev.ivl.core.combine.CombinedModel;
import dev.ivl.core.combine.ProxyTuningCombiner;
import dev.ivl.core.combine.ResidualCombiner;
import dev.ivl.core.combine.Stepping;
import dev.ivl.core.combine.VocabularyPolicy;
import dev.ivl.core.generate.CancellationToken;
import dev.ivl.core.generate.GenerationConfig;
import dev.ivl.core.generate.Generator;
import dev.ivl.core.generate.TokenListener;
import dev.ivl.core.model.LanguageModel;
import dev.ivl.core.model.Session;
import dev.ivl.core.sample.GreedySampler;
import dev.ivl.djl.testutil.Fixtures;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Combined decoding of two real LLaMA checkpoints sharing a vocabulary (gqa-tied as base, mha as value), checked
 * against a plain reference with no caches: full-sequence logits recomputed at every step.
 */
class CombinedDecodingTest {
    static LlamaModel base;
    static LlamaModel value;
    static final int[] PROMPT = {1, 17, 300, 42, 999, 5};
    static final int NEW_TOKENS = 16;

    @BeforeAll
    static void load() {
        base = LlamaModel.load(Fixtures.path("hf-llama/gqa-tied"));
        value = LlamaModel.load(Fixtures.path("hf-llama/mha"));
    }

    @AfterAll
    static void close() {
        base.close();
        value.close();
    }

    /** Greedy decoding of z_base + α·z_value from full-sequence logits, recomputed from scratch every step. */
    static int[] reference(float alpha, int[] prompt, int steps) {
        int[] seq = Arrays.copyOf(prompt, prompt.length + steps);
        for (int n = prompt.length; n < seq.length; n++) {
            int[] prefix = Arrays.copyOf(seq, n);
            float[] zb = base.logits(prefix)[n - 1];
            float[] zv = value.logits(prefix)[n - 1];
            float[] z = new float[zb.length];
            for (int i = 0; i < z.length; i++) {
                z[i] = zb[i] + alpha * zv[i];
            }
            seq[n] = GreedySampler.argmax(z);
        }
        return Arrays.copyOfRange(seq, prompt.length, seq.length);
    }

    static int[] greedy(LanguageModel model, int[] prompt, int steps) {
        return new Generator(model).generate(prompt, GenerationConfig.builder().greedy().maxNewTokens(steps).build(),
                TokenListener.NONE, new CancellationToken()).tokens();
    }

    @ParameterizedTest
    @EnumSource(Stepping.class)
    void combinedGreedyDecodingEqualsTheUncachedReference(Stepping stepping) {
        CombinedModel combined = new ResidualCombiner(0.7f, VocabularyPolicy.EXACT)
                .combine(base, value).withStepping(stepping);
        int[] want = reference(0.7f, PROMPT, NEW_TOKENS);
        assertArrayEquals(want, greedy(combined, PROMPT, NEW_TOKENS));
        // the value model changes the output: otherwise this test could not tell combining from not combining
        assertEquals(false, Arrays.equals(want, greedy(base, PROMPT, NEW_TOKENS)), "value model has an effect");
    }

    @ParameterizedTest
    @EnumSource(Stepping.class)
    void alphaZeroAndProxyTuningWithEqualExpertsGiveTheBasesTokens(Stepping stepping) {
        int[] baseTokens = greedy(base, PROMPT, NEW_TOKENS);
        assertArrayEquals(baseTokens,
                greedy(ResidualCombiner.withAlpha(0f).combine(base, value).withStepping(stepping), PROMPT, NEW_TOKENS));
        assertArrayEquals(baseTokens, greedy(new ProxyTuningCombiner(1f).combine(base, value, value)
                .withStepping(stepping), PROMPT, NEW_TOKENS));
    }

    @Test
    void onTheDeviceSequentialLogitsAreTheHostCombinersBitForBit() {
        List<CombinedModel> combinations = List.of(
                new ResidualCombiner(0.7f, VocabularyPolicy.EXACT).combine(base, value),
                new ProxyTuningCombiner(0.5f).combine(base, value, base));
        for (CombinedModel host : combinations) {
            LlamaCombinedModel device = LlamaCombinedModel.of(host);
            try (Session h = host.newSession(); Session d = device.newSession()) {
                assertArrayEquals(h.append(PROMPT), d.append(PROMPT), 0f);
                for (int token : new int[] {3, 77, 1000, 12}) {
                    assertArrayEquals(h.append(token), d.append(token), 0f, host.combiner().toString());
                }
            }
        }
    }

    /** 1 thread: no block sharing; 2: blocks of halves; 3: uneven thirds and one helper thread. */
    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3})
    void concurrentOnTheDeviceWithSharedBlocksGivesTheReferenceTokens(int threads) {
        CombinedModel host = new ResidualCombiner(0.7f, VocabularyPolicy.EXACT).combine(base, value);
        LlamaCombinedModel device = LlamaCombinedModel.of(host).withStepping(Stepping.CONCURRENT).withThreads(threads);
        assertArrayEquals(reference(0.7f, PROMPT, NEW_TOKENS), greedy(device, PROMPT, NEW_TOKENS));
        try (Session h = host.newSession(); Session d = device.newSession()) {
            float[] want = h.append(PROMPT);
            float[] got = d.append(PROMPT);
            for (int step = 0; step < 8; step++) {
                assertArrayEquals(want, got, 1e-5f, "step " + step); // blocks may sum in another order
                int next = GreedySampler.argmax(want);
                want = h.append(next);
                got = d.append(next);
            }
        }
        int[] baseTokens = greedy(base, PROMPT, NEW_TOKENS);
        assertArrayEquals(baseTokens, greedy(LlamaCombinedModel.of(ResidualCombiner.withAlpha(0f).combine(base, value))
                .withStepping(Stepping.CONCURRENT).withThreads(threads), PROMPT, NEW_TOKENS));
        assertArrayEquals(baseTokens, greedy(LlamaCombinedModel.of(new ProxyTuningCombiner(1f).combine(base, value,
                value)).withStepping(Stepping.CONCURRENT).withThreads(threads), PROMPT, NEW_TOKENS));
    }

    @Test
    void aBadTokenFailsAConcurrentStepWithTheModelsOwnErrorAndTheSessionStaysUsable() {
        LlamaCombinedModel device = LlamaCombinedModel.of(ResidualCombiner.withAlpha(1f).combine(base, value))
                .withStepping(Stepping.CONCURRENT).withThreads(2);
        try (Session s = device.newSession()) {
            s.append(PROMPT);
            InvalidInputException e = assertThrows(InvalidInputException.class, () -> s.append(5000));
            assertTrue(e.getMessage().contains("outside the model's vocabulary"), e.getMessage());
            assertEquals(PROMPT.length, s.position());
            assertEquals(base.vocabSize(), s.append(7).length);
        }
    }

    @Test
    void combinationsThatCannotRunOnTheDeviceSayWhy() {
        LanguageModel plain = new LanguageModel() {
            @Override
            public int vocabSize() {
                return base.vocabSize();
            }

            @Override
            public int maxSequenceLength() {
                return 64;
            }

            @Override
            public Session newSession() {
                throw new UnsupportedOperationException();
            }
        };
        CombinedModel notLlama = new ProxyTuningCombiner(1f).combine(base, value, plain);
        assertTrue(LlamaCombinedModel.unsupportedReason(notLlama).contains("not a LlamaModel"));
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> LlamaCombinedModel.of(notLlama));
        assertTrue(e.getMessage().startsWith("cannot combine on the device"), e.getMessage());
        try (LlamaModel bigVocab = LlamaModel.load(Fixtures.path("hf-llama/mqa-llama2vocab-fp16"))) {
            CombinedModel prefix = new ResidualCombiner(1f, VocabularyPolicy.VALUE_PREFIX).combine(bigVocab, value);
            assertTrue(LlamaCombinedModel.unsupportedReason(prefix).contains("vocabularies differ"));
        }
        assertNull(LlamaCombinedModel.unsupportedReason(ResidualCombiner.withAlpha(1f).combine(base, value)));
    }

    @Test
    void generationsFromManyThreadsOnSharedModelsEqualThoseRunOneByOne() throws Exception {
        CombinedModel host = ResidualCombiner.withAlpha(1f).combine(base, value).withStepping(Stepping.CONCURRENT);
        for (LanguageModel combined : List.of(host, LlamaCombinedModel.of(host).withThreads(2))) {
            generateFromManyThreads(combined);
        }
    }

    private static void generateFromManyThreads(LanguageModel combined) throws Exception {
        int n = 4;
        List<GenerationConfig> configs = new ArrayList<>();
        List<int[]> prompts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            configs.add(GenerationConfig.builder().temperature(0.9f).topP(0.95f).seed(100 + i).maxNewTokens(12)
                    .build());
            prompts.add(new int[] {1, 10 + i, 200 + 3 * i});
        }
        List<int[]> oneByOne = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            oneByOne.add(new Generator(combined).generate(prompts.get(i), configs.get(i), TokenListener.NONE,
                    new CancellationToken()).tokens());
        }
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<int[]>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int k = i;
                futures.add(pool.submit(() -> new Generator(combined).generate(prompts.get(k), configs.get(k),
                        TokenListener.NONE, new CancellationToken()).tokens()));
            }
            for (int i = 0; i < n; i++) {
                assertArrayEquals(oneByOne.get(i), futures.get(i).get(), "generation " + i);
            }
        } finally {
            pool.shutdown();
        }
    }
}
