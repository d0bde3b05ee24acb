package dev.ivl.djl.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ivl.core.ModelFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading from model folders with config files, and every way loading can fail. */
class HfTokenizerLoadingTest {
    @TempDir
    Path dir;

    @Test
    void modelFolderConfigsOverrideTheTokenizerJson() throws IOException {
        Files.copy(TestFiles.fixture("llama2-tokenizer.json"), dir.resolve("tokenizer.json"));
        write("tokenizer_config.json", "{\"bos_token\": {\"__type\": \"AddedToken\", \"content\": \"<s>\","
                + " \"lstrip\": false}, \"eos_token\": \"</s>\", \"add_bos_token\": false}");
        write("generation_config.json", "{\"bos_token_id\": 1, \"eos_token_id\": [2, 13]}");
        try (HfTokenizer tokenizer = HfTokenizer.load(dir)) {
            assertArrayEquals(new int[] {15043}, tokenizer.encode("Hello"));
            assertEquals(OptionalInt.of(1), tokenizer.bosTokenId());
            assertArrayEquals(new int[] {2, 13}, tokenizer.eosTokenIds());
            assertEquals(dir.resolve("tokenizer.json"), tokenizer.source());
        }
    }

    @Test
    void addBosTokenPrependsWhatThePostProcessorDoesNot() throws IOException {
        Files.copy(TestFiles.fixture("gpt2-tokenizer.json"), dir.resolve("tokenizer.json"));
        write("tokenizer_config.json", "{\"bos_token\": \"<|endoftext|>\", \"add_bos_token\": true}");
        write("generation_config.json", "{\"eos_token_id\": 50256}");
        try (HfTokenizer tokenizer = HfTokenizer.load(dir)) {
            assertArrayEquals(new int[] {50256, 15496}, tokenizer.encode("Hello"));
            assertArrayEquals(new int[] {15496}, tokenizer.encode("Hello", false));
            assertArrayEquals(new int[] {50256}, tokenizer.eosTokenIds());
        }
    }

    @Test
    void tokenizerConfigEosIsUsedWithoutGenerationConfig() throws IOException {
        Files.copy(TestFiles.fixture("llama2-tokenizer.json"), dir.resolve("tokenizer.json"));
        write("tokenizer_config.json", "{\"eos_token\": {\"content\": \"<unk>\"}, \"add_bos_token\": true}");
        try (HfTokenizer tokenizer = HfTokenizer.load(dir)) {
            assertArrayEquals(new int[] {0}, tokenizer.eosTokenIds());
            assertArrayEquals(new int[] {1, 15043}, tokenizer.encode("Hello"));
        }
    }

    @Test
    void folderWithoutTokenizerJson() {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> HfTokenizer.load(dir));
        assertEquals(dir, e.file());
        assertTrue(e.getMessage().contains("tokenizer.json"), e.getMessage());
    }

    @Test
    void missingFile() {
        Path file = dir.resolve("nothing.json");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> HfTokenizer.load(file));
        assertEquals(file, e.file());
    }

    @Test
    void truncatedTokenizerJson() throws IOException {
        byte[] whole = Files.readAllBytes(TestFiles.fixture("gpt2-tokenizer.json"));
        Path file = dir.resolve("tokenizer.json");
        Files.write(file, java.util.Arrays.copyOf(whole, whole.length / 2));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> HfTokenizer.load(file));
        assertEquals(file, e.file());
        assertTrue(e.getMessage().contains("not valid JSON"), e.getMessage());
    }

    @Test
    void binaryGarbage() throws IOException {
        Path file = dir.resolve("tokenizer.json");
        byte[] garbage = new byte[4096];
        new java.util.Random(7).nextBytes(garbage);
        Files.write(file, garbage);
        assertEquals(file, assertThrows(ModelFormatException.class, () -> HfTokenizer.load(file)).file());
    }

    @Test
    void jsonWithoutModel() throws IOException {
        Path file = write("tokenizer.json", "{\"version\": \"1.0\"}");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> HfTokenizer.load(file));
        assertTrue(e.getMessage().contains("\"model\""), e.getMessage());
    }

    @Test
    void jsonTheNativeLibraryRejects() throws IOException {
        // A merge of a token that is not in the vocabulary.
        Path file = write("tokenizer.json",
                "{\"version\": \"1.0\", \"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [\"a b\"]}}");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> HfTokenizer.load(file));
        assertEquals(file, e.file());
        assertTrue(e.getMessage().contains("rejected by the tokenizers library"), e.getMessage());
    }

    @Test
    void idUsedTwice() throws IOException {
        Path file = write("tokenizer.json",
                "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 0}, \"merges\": []}}");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> HfTokenizer.load(file));
        assertTrue(e.getMessage().contains("id 0"), e.getMessage());
    }

    @Test
    void badTokenizerConfigFields() throws IOException {
        Files.copy(TestFiles.fixture("llama2-tokenizer.json"), dir.resolve("tokenizer.json"));
        Path config = write("tokenizer_config.json", "{\"bos_token\": 5}");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> HfTokenizer.load(dir));
        assertEquals(config, e.file());
        assertTrue(e.getMessage().contains("bos_token"), e.getMessage());

        write("tokenizer_config.json", "{\"eos_token\": \"<|im_end|>\"}");
        e = assertThrows(ModelFormatException.class, () -> HfTokenizer.load(dir));
        assertTrue(e.getMessage().contains("<|im_end|>") && e.getMessage().contains("not in the vocabulary"),
                e.getMessage());

        write("tokenizer_config.json", "{\"add_bos_token\": \"yes\"}");
        assertTrue(assertThrows(ModelFormatException.class, () -> HfTokenizer.load(dir)).getMessage()
                .contains("add_bos_token"));

        write("tokenizer_config.json", "{\"chat_template\": [{\"name\": \"tool_use\", \"template\": \"a\"},"
                + " {\"name\": \"rag\", \"template\": \"b\"}]}");
        assertTrue(assertThrows(ModelFormatException.class, () -> HfTokenizer.load(dir)).getMessage()
                .contains("tool_use, rag"));

        write("tokenizer_config.json", "not json");
        assertEquals(config, assertThrows(ModelFormatException.class, () -> HfTokenizer.load(dir)).file());
    }

    @Test
    void badGenerationConfig() throws IOException {
        Files.copy(TestFiles.fixture("llama2-tokenizer.json"), dir.resolve("tokenizer.json"));
        Path generation = write("generation_config.json", "{\"eos_token_id\": \"</s>\"}");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> HfTokenizer.load(dir));
        assertEquals(generation, e.file());
        assertTrue(e.getMessage().contains("eos_token_id"), e.getMessage());

        write("generation_config.json", "{\"eos_token_id\": [2, 32000]}");
        e = assertThrows(ModelFormatException.class, () -> HfTokenizer.load(dir));
        assertTrue(e.getMessage().contains("32000"), e.getMessage());
    }

    private Path write(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content);
    }
}
