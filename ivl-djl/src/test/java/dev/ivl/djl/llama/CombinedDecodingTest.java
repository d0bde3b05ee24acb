package dev.ivl.djl.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ivl.core.combine.CombinedModel;
import dev.ivl.core.combine.ProxyTuningCombiner;
import dev.ivl.core.combine.ResidualCombiner;
import dev.ivl.core.combine.Stepping;
import dev.ivl.core.generate.CancellationToken;
import dev.ivl.core.generate.GenerationConfig;
import dev.ivl.core.generate.Generator;
import dev.ivl.core.generate.TokenListener;
import dev.ivl.core.model.LanguageModel;
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
        CombinedModel combined = new ResidualCombiner(0.7f, dev.ivl.core.combine.VocabularyPolicy.EXACT)
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
    void generationsFromManyThreadsOnSharedModelsEqualThoseRunOneByOne() throws Exception {
        CombinedModel combined = ResidualCombiner.withAlpha(1f).combine(base, value).withStepping(Stepping.CONCURRENT);
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
