package dev.ivl.djl.plug;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.DataType;
import dev.ivl.core.InvalidInputException;
import dev.ivl.core.combine.Stepping;
import dev.ivl.core.generate.CancellationToken;
import dev.ivl.core.generate.GenerationConfig;
import dev.ivl.core.generate.GenerationResult;
import dev.ivl.core.generate.Generator;
import dev.ivl.core.generate.Speculation;
import dev.ivl.core.generate.SpeculationStats;
import dev.ivl.core.generate.TokenListener;
import dev.ivl.core.model.LanguageModel;
import dev.ivl.djl.llama.LlamaModel;
import dev.ivl.djl.llama.LoadOptions;
import dev.ivl.djl.testutil.Fixtures;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Speculative decoding on the trained toy family of the facts study (the demo fixtures): the small base S with the
 * value model drafts for the large base L with the same value model. Greedy output equals plain combined decoding
 * with L token for token, over more than 200 generated tokens, for the residual scheme (the value model shared, so
 * run once per token) and the cascade scheme (draft and target each with their own value-model session).
 */
class SpeculativeToyModelsTest {
    /** Chat requests of the kind the value model was trained on, and raw text. */
    private static final List<String> PROMPTS = List.of("[INST] Where does Brudem Fesul live? [/INST]",
            "[INST] What does Gokaik Bimous do for a living? [/INST]", "Stuvor Paihis lives in");

    private static final LoadOptions F32 = LoadOptions.builder().dtype(DataType.FLOAT32).build();

    @Test
    void greedyOutputEqualsPlainCombinedDecodingWithTheLargeBaseResidualAndCascade() {
        try (LlamaModel large = LlamaModel.load(Fixtures.path("demo/base"), F32);
                LlamaModel small = LlamaModel.load(Fixtures.path("demo/draft"), F32);
                LlamaModel value = LlamaModel.load(Fixtures.path("demo/value"), F32);
                LlamaModel cascade = LlamaModel.load(Fixtures.path("demo/cascade"), F32)) {
            PlugOptions residual = PlugOptions.builder().alpha(4f).stepping(Stepping.SEQUENTIAL).build();
            check(PluggedModel.plug(large, value, residual), PluggedModel.plug(small, value, residual), 4, true);
            PlugOptions one = PlugOptions.builder().alpha(1f).stepping(Stepping.SEQUENTIAL).build();
            check(PluggedModel.plug(large, cascade, one), PluggedModel.plug(small, cascade, one), 3, false);
        }
    }

    private static void check(PluggedModel target, PluggedModel draft, int k, boolean shares) {
        assertEquals(shares, draft.combination().isPresent() && target.combination().isPresent(),
                "a residual pair is a combination whose value model the draft shares; a cascade is none");
        Generator plain = new Generator(target);
        Generator speculative = plain.withDraft(draft, Speculation.of(k));
        GenerationConfig config = GenerationConfig.builder().greedy().maxNewTokens(1000).ignoreEos(true).build();
        int compared = 0;
        int accepted = 0;
        for (String prompt : PROMPTS) {
            int[] ids = target.tokenizer().orElseThrow().encode(prompt);
            GenerationResult want = plain.generate(ids, config, TokenListener.NONE, new CancellationToken());
            GenerationResult got = speculative.generate(ids, config, TokenListener.NONE, new CancellationToken());
            assertArrayEquals(want.tokens(), got.tokens(), prompt);
            assertEquals(want.finishReason(), got.finishReason(), prompt);
            SpeculationStats stats = got.speculation().orElseThrow();
            assertTrue(stats.drafted() >= stats.accepted() && stats.rounds() > 0, stats.toString());
            compared += got.tokens().length;
            accepted += stats.accepted();
        }
        assertTrue(compared > 200, "compared " + compared + " tokens");
        assertTrue(accepted > compared / 4, "S + value should draft much of L + value's text: " + accepted + " of "
                + compared);
    }

    @Test
    void aDraftWithAnotherTokenizerIsRefusedInOneLine() {
        try (LlamaModel large = LlamaModel.load(Fixtures.path("demo/base"), F32);
                LlamaModel value = LlamaModel.load(Fixtures.path("demo/value"), F32);
                LlamaModel other = LlamaModel.load(Fixtures.path("hf-llama/mha"), F32)) {
            LanguageModel target = PluggedModel.plug(large, value, PlugOptions.builder().alpha(4f).build());
            InvalidInputException e = assertThrows(InvalidInputException.class,
                    () -> new Generator(target).withDraft(other, Speculation.of(4)));
            assertTrue(e.getMessage().startsWith("the draft has a vocabulary of " + other.vocabSize()
                    + " tokens and the target one of 1005"), e.getMessage());
            assertTrue(!e.getMessage().contains("\n"), "one line");
        }
    }
}
