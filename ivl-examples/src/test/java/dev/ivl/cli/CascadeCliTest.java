package dev.ivl.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import dev.ivl.core.InvalidInputException;
import dev.ivl.core.combine.CombinedModel;
import dev.ivl.core.combine.ResidualCombiner;
import dev.ivl.core.generate.CancellationToken;
import dev.ivl.core.generate.GenerationConfig;
import dev.ivl.core.generate.Generator;
import dev.ivl.core.generate.TokenListener;
import dev.ivl.djl.llama.CascadeModel;
import dev.ivl.djl.llama.LlamaModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ivl generate --value} follows the scheme that the value model's {@code ivl.json} records. */
class CascadeCliTest {
    static Path copyModel(Path dir, String ivlJson) throws IOException {
        Files.createDirectories(dir);
        Path src = CliTest.FIXTURES.resolve("hf-llama/gqa-tied");
        Files.copy(src.resolve("config.json"), dir.resolve("config.json"));
        Files.copy(src.resolve("model.safetensors"), dir.resolve("model.safetensors"));
        if (ivlJson != null) {
            Files.writeString(dir.resolve("ivl.json"), ivlJson);
        }
        return dir;
    }

    @Test
    void aCascadeValueModelIsCombinedAsACascade(@TempDir Path tmp) throws IOException {
        Path base = CliTest.FIXTURES.resolve("hf-llama/mha");
        Path value = copyModel(tmp.resolve("value"), "{\"format\": \"ivl-value-model\", \"scheme\": \"cascade\"}");
        int[] prompt = {1, 17, 300, 42};
        CliTest.Run r = CliTest.run("generate", "--model", base.toString(), "--value", value.toString(), "--alpha",
                "0.8", "--prompt-ids", "1,17,300,42", "--max-new-tokens", "12", "--temperature", "0", "--json");
        assertEquals(0, r.exit(), r.err());
        int[] got = StreamSupport.stream(JsonParser.parseString(r.out().trim()).getAsJsonObject()
                .getAsJsonArray("tokens").spliterator(), false).mapToInt(e -> e.getAsInt()).toArray();
        try (LlamaModel b = LlamaModel.load(base); LlamaModel v = LlamaModel.load(value)) {
            GenerationConfig greedy = GenerationConfig.builder().greedy().maxNewTokens(12).build();
            int[] cascade = new Generator(new CascadeModel(b, v, 0.8f, true)).generate(prompt, greedy,
                    TokenListener.NONE, new CancellationToken()).tokens();
            assertArrayEquals(cascade, got);
            // the README's residual path refuses the cascade model (it decoded it as residual, silently, before)
            assertThrows(InvalidInputException.class,
                    () -> dev.ivl.core.combine.ResidualCombiner.withAlpha(0.8f).combine(b, v));
            int[] residual = new Generator(new CombinedModel(List.of(b, v), ResidualCombiner.withAlpha(0.8f)))
                    .generate(prompt, greedy, TokenListener.NONE, new CancellationToken()).tokens();
            assertTrue(!java.util.Arrays.equals(residual, got), "the cascade differs from the residual combination");
            assertThrows(InvalidInputException.class, () -> new CascadeModel(b, v, 0.8f, false),
                    "ivl.json says cascade with the text: the flag that says otherwise is refused");
            assertArrayEquals(cascade, new Generator(new CascadeModel(b, v, 0.8f)).generate(prompt, greedy,
                    TokenListener.NONE, new CancellationToken()).tokens(), "the scheme read from ivl.json");
        }
    }

    @Test
    void aPlainLanguageModelIsRefusedAsAValueModel(@TempDir Path tmp) throws IOException {
        Path value = copyModel(tmp.resolve("lm"), "{\"scheme\": \"causal-lm\"}");
        CliTest.Run r = CliTest.run("generate", "--model", CliTest.FIXTURES.resolve("hf-llama/mha").toString(),
                "--value", value.toString(), "--prompt-ids", "1,2");
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("causal-lm"), r.err());
    }
}
