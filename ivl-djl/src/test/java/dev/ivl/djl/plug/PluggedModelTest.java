package dev.ivl.djl.plug;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.DataType;
import dev.ivl.core.InvalidInputException;
import dev.ivl.core.combine.CombinedModel;
import dev.ivl.core.combine.ResidualCombiner;
import dev.ivl.core.combine.Stepping;
import dev.ivl.core.generate.CancellationToken;
import dev.ivl.core.generate.GenerationConfig;
import dev.ivl.core.generate.Generator;
import dev.ivl.core.generate.TokenListener;
import dev.ivl.core.model.LanguageModel;
import dev.ivl.core.model.Scheme;
import dev.ivl.djl.llama.CascadeModel;
import dev.ivl.djl.llama.LlamaModel;
import dev.ivl.djl.testutil.Fixtures;
import dev.ivl.djl.tokenizer.HfTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link PluggedModel}: one call that reads the value folder and plugs the model in right, and the silent wrong
 * results it replaces (each failed before: a cascade model decoded as residual, a same-size foreign tokenizer
 * accepted, a re-saved cascade model read as residual).
 */
class PluggedModelTest {
    private static final int[] PROMPT = {1, 450, 4723, 338};
    private static final GenerationConfig GREEDY = GenerationConfig.builder().maxNewTokens(10).build();

    /** A copy of the Llama-2-vocabulary fixture with the given tokenizer and, if not null, ivl.json. */
    static Path folder(Path dir, Path tokenizer, String ivlJson) throws IOException {
        Files.createDirectories(dir);
        Path src = Fixtures.path("hf-llama/mqa-llama2vocab-fp16");
        Files.copy(src.resolve("config.json"), dir.resolve("config.json"));
        Files.copy(src.resolve("model.safetensors"), dir.resolve("model.safetensors"));
        Files.copy(tokenizer, dir.resolve("tokenizer.json"));
        if (ivlJson != null) {
            Files.writeString(dir.resolve("ivl.json"), ivlJson);
        }
        return dir;
    }

    private static Path llama2() {
        return Fixtures.path("tokenizers/llama2-tokenizer.json");
    }

    private static int[] greedy(LanguageModel model) {
        return new Generator(model).generate(PROMPT, GREEDY, TokenListener.NONE, new CancellationToken()).tokens();
    }

    @Test
    void unsetSteppingIsSequentialOnTheCpuAndAnExplicitOneIsKept(@TempDir Path tmp) throws IOException {
        Path base = folder(tmp.resolve("base"), llama2(), null);
        Path value = folder(tmp.resolve("value"), llama2(), "{\"scheme\": \"residual\"}");
        dev.ivl.djl.llama.LoadOptions f32 = dev.ivl.djl.llama.LoadOptions.builder().dtype(DataType.FLOAT32).build();
        try (PluggedModel half = PluggedModel.load(base, value, PlugOptions.defaults());
                PluggedModel single = PluggedModel.load(base, value, PlugOptions.builder().load(f32).build());
                PluggedModel asked = PluggedModel.load(base, value, PlugOptions.builder().stepping(Stepping.CONCURRENT)
                        .build())) {
            assertEquals(DataType.FLOAT16, half.base().dtype(), "a float16 checkpoint loads as float16 on the CPU");
            assertEquals(Stepping.SEQUENTIAL, half.combination().orElseThrow().stepping(), "float16 weights");
            assertEquals(Stepping.SEQUENTIAL, single.combination().orElseThrow().stepping(), "float32 weights");
            assertEquals(Stepping.CONCURRENT, asked.combination().orElseThrow().stepping(), "as asked");
            assertArrayEquals(greedy(half), greedy(asked), "the stepping changes the speed, not the tokens");
        }
    }

    @Test
    void aResidualValueModelIsCombinedOnTheDeviceAndAlphaZeroIsTheBase(@TempDir Path tmp) throws IOException {
        Path base = folder(tmp.resolve("base"), llama2(), null);
        Path value = folder(tmp.resolve("value"), llama2(), "{\"scheme\": \"residual\", \"template\": \"zephyr\"}");
        try (PluggedModel pair = PluggedModel.load(base, value, PlugOptions.builder().alpha(0.7f).build())) {
            assertEquals(PluggedModel.Kind.RESIDUAL, pair.kind());
            assertTrue(pair.tokenizer().orElseThrow() instanceof HfTokenizer, "the base's tokenizer travels with it");
            CombinedModel byHand = new ResidualCombiner(0.7f, dev.ivl.core.combine.VocabularyPolicy.EXACT)
                    .combine(pair.base(), pair.value());
            assertArrayEquals(greedy(byHand), greedy(pair));
            assertArrayEquals(greedy(pair.base()), greedy(pair.withAlpha(0f)), "alpha 0 gives the base exactly");
            assertTrue(pair.chatTemplate("llama2").render(List.of(dev.ivl.djl.tokenizer.ChatMessage.user("hi")), true)
                    .startsWith("<|user|>"), "the template recorded in ivl.json (zephyr)");
        }
    }

    @Test
    void aCascadeValueModelIsPluggedInAsACascadeAndNeverAsResidual(@TempDir Path tmp) throws IOException {
        Path base = folder(tmp.resolve("base"), llama2(), null);
        Path value = folder(tmp.resolve("value"), llama2(), "{\"scheme\": \"cascade-no-text\"}");
        try (PluggedModel pair = PluggedModel.load(base, value, PlugOptions.builder().alpha(0.8f).build())) {
            assertEquals(PluggedModel.Kind.CASCADE, pair.kind());
            assertEquals(Scheme.CASCADE_NO_TEXT, pair.value().scheme());
            assertArrayEquals(greedy(new CascadeModel(pair.base(), pair.value(), 0.8f, false)), greedy(pair));
            InvalidInputException residual = assertThrows(InvalidInputException.class,
                    () -> ResidualCombiner.withAlpha(0.8f).combine(pair.base(), pair.value()));
            assertTrue(residual.getMessage().contains("cascade-no-text scheme"), residual.getMessage());
            assertThrows(InvalidInputException.class, () -> new CascadeModel(pair.base(), pair.value(), 0.8f, true));

            // saved again, it is still a cascade model with its tokenizer
            Path copy = tmp.resolve("copy");
            pair.value().save(copy, DataType.FLOAT32);
            try (LlamaModel again = LlamaModel.load(copy)) {
                assertEquals(Scheme.CASCADE_NO_TEXT, again.scheme());
                assertTrue(again.tokenizer().isPresent());
                assertEquals(Files.readString(value.resolve("ivl.json")), Files.readString(copy.resolve("ivl.json")));
            }
        }
    }

    @Test
    void aPlainLanguageModelIsRefused(@TempDir Path tmp) throws IOException {
        Path base = folder(tmp.resolve("base"), llama2(), null);
        Path value = folder(tmp.resolve("value"), llama2(), "{\"scheme\": \"causal-lm\"}");
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> PluggedModel.load(base, value, PlugOptions.defaults()));
        assertTrue(e.getMessage().contains("plain language model"), e.getMessage());
        // decoded on its own, a fine-tuned model chats in the template its training data was rendered with
        try (LlamaModel tuned = LlamaModel.load(value)) {
            assertTrue(tuned.recordedChatTemplate("zephyr").isEmpty(), "its ivl.json records no template");
        }
        Path llama2Tuned = folder(tmp.resolve("tuned"), llama2(),
                "{\"scheme\": \"causal-lm\", \"template\": \"llama2\"}");
        try (LlamaModel tuned = LlamaModel.load(llama2Tuned)) {
            assertTrue(tuned.recordedChatTemplate("zephyr").orElseThrow()
                    .render(List.of(dev.ivl.djl.tokenizer.ChatMessage.user("hi")), true).contains("[INST] hi [/INST]"));
        }
    }

    @Test
    void aSameSizeForeignTokenizerIsRefusedWithAPointerToAlignVocab(@TempDir Path tmp) throws IOException {
        Path mistral = Fixtures.shared("tokenizers/mistral-v0.1-tokenizer.json"); // 32,000 tokens, like Llama-2's
        Path base = folder(tmp.resolve("base"), llama2(), null);
        Path value = folder(tmp.resolve("value"), mistral, null);
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> PluggedModel.load(base, value, PlugOptions.defaults()));
        assertTrue(e.getMessage().contains("ivl align-vocab"), e.getMessage());
        try (LlamaModel b = LlamaModel.load(base); LlamaModel v = LlamaModel.load(value)) {
            assertEquals(b.vocabSize(), v.vocabSize());
            assertThrows(InvalidInputException.class, () -> ResidualCombiner.withAlpha(1f).combine(b, v),
                    "the README's path refuses it too");
            try (PluggedModel trusted = PluggedModel.plug(b, v, PlugOptions.builder().trustTokenIds(true).build())) {
                assertEquals(PluggedModel.Kind.RESIDUAL, trusted.kind(), "the explicit override");
            }
            assertFalse(b.tokenizer().isEmpty());
        }
    }

    @Test
    void theVocabularyRecordedInIvlJsonIsCheckedWhenTheValueFolderHasNoTokenizer(@TempDir Path tmp)
            throws IOException {
        Path base = folder(tmp.resolve("base"), llama2(), null);
        Path value = folder(tmp.resolve("value"), llama2(), "{\"scheme\": \"residual\", \"vocabulary\":"
                + " \"sha256:0000\"}");
        Files.delete(value.resolve("tokenizer.json"));
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> PluggedModel.load(base, value, PlugOptions.defaults()));
        assertTrue(e.getMessage().contains("records the vocabulary sha256:0000"), e.getMessage());
    }

    @Test
    void theModelsGenerationConfigIsGreedyUnlessItsFolderSaysOtherwise(@TempDir Path tmp) throws IOException {
        Path plain = folder(tmp.resolve("plain"), llama2(), null);
        Path sampled = folder(tmp.resolve("sampled"), llama2(), null);
        Files.writeString(sampled.resolve("generation_config.json"),
                "{\"do_sample\": true, \"temperature\": 0.6, \"top_p\": 0.9, \"eos_token_id\": 2}");
        try (LlamaModel a = LlamaModel.load(plain); LlamaModel b = LlamaModel.load(sampled)) {
            assertTrue(a.generationConfig().greedy());
            assertEquals(a.config().eosTokenIds(), a.generationConfig().stopTokenIds());
            assertEquals(0.6f, b.generationConfig().temperature());
            assertEquals(0.9f, b.generationConfig().topP());
            assertEquals(List.of(2), b.generationConfig().stopTokenIds());
        }
    }
}
