package dev.ivl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ivl generate --vocab-map}: with a map between a tokenizer and itself (the identity), cross-vocabulary
 * decoding must give exactly the tokens of same-vocabulary combined decoding.
 */
class CrossVocabularyCliTest {
    @Test
    void identityMapReproducesSameVocabularyDecoding(@TempDir Path tmp) throws IOException {
        Path model = tmp.resolve("tiny");
        Files.createDirectories(model);
        Path src = CliTest.FIXTURES.resolve("hf-llama/mqa-llama2vocab-fp16");
        Files.copy(src.resolve("config.json"), model.resolve("config.json"));
        Files.copy(src.resolve("model.safetensors"), model.resolve("model.safetensors"));
        Files.copy(CliTest.LLAMA2_TOKENIZER, model.resolve("tokenizer.json"));
        Path corpus = tmp.resolve("corpus.txt");
        Files.write(corpus, List.of("The moon is bright tonight.", "A cat sat on the mat, and the dog barked.",
                "Numbers like 42 and 1999 appear in text.", "Ünïcödé and emoji 🦙 too."));
        Path map = tmp.resolve("identity.map");
        CliTest.Run align = CliTest.run("align-vocab", "--base-tokenizer", CliTest.LLAMA2_TOKENIZER.toString(),
                "--value-tokenizer", CliTest.LLAMA2_TOKENIZER.toString(), "--corpus", corpus.toString(), "--out",
                map.toString());
        assertEquals(0, align.exit(), align.err());

        String[] common = {"generate", "--model", model.toString(), "--value", model.toString(), "--alpha", "0.5",
            "--prompt", "The moon is", "--max-new-tokens", "10", "--temperature", "0", "--json"};
        CliTest.Run same = CliTest.run(common);
        assertEquals(0, same.exit(), same.err());
        String[] crossArgs = java.util.Arrays.copyOf(common, common.length + 2);
        crossArgs[common.length] = "--vocab-map";
        crossArgs[common.length + 1] = map.toString();
        CliTest.Run cross = CliTest.run(crossArgs);
        assertEquals(0, cross.exit(), cross.err());
        JsonObject a = JsonParser.parseString(same.out().trim()).getAsJsonObject();
        JsonObject b = JsonParser.parseString(cross.out().trim()).getAsJsonObject();
        assertEquals(a.getAsJsonArray("tokens"), b.getAsJsonArray("tokens"));
        assertEquals(a.get("text"), b.get("text"));
        assertTrue(a.getAsJsonArray("tokens").size() > 0);
    }
}
