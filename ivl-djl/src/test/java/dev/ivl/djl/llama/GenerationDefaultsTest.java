package dev.ivl.djl.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ivl.core.ModelFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reads generation_config.json files as Hugging Face interprets them. */
class GenerationDefaultsTest {
    private static final Path SOURCE = Path.of("m/generation_config.json");

    @Test
    void aFolderWithoutTheFileHasNoDefaults(@TempDir Path dir) {
        assertEquals(Optional.empty(), GenerationDefaults.load(dir));
    }

    @Test
    void samplingDefaultsAsInLlama3Instruct(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("generation_config.json"), "{\"bos_token_id\": 128000, \"do_sample\": true,"
                + " \"eos_token_id\": [128001, 128008, 128009], \"temperature\": 0.6, \"top_p\": 0.9,"
                + " \"transformers_version\": \"4.43.0.dev0\"}");
        assertEquals(Optional.of(new GenerationDefaults(List.of(128001, 128008, 128009), 0.6f, 0.9f, null, null,
                128000)), GenerationDefaults.load(dir));
    }

    @Test
    void withoutDoSampleHuggingFaceDecodesGreedily() {
        // TinyLlama's file: no do_sample, so greedy, reported as temperature 0
        assertEquals(new GenerationDefaults(List.of(2), 0f, null, null, null, 1), GenerationDefaults.parse(
                "{\"bos_token_id\": 1, \"eos_token_id\": 2, \"max_length\": 2048, \"pad_token_id\": 0}", SOURCE));
        assertEquals(new GenerationDefaults(List.of(), 0f, 0.9f, 40, 1.1f, null), GenerationDefaults.parse(
                "{\"do_sample\": false, \"temperature\": 0.7, \"top_p\": 0.9, \"top_k\": 40,"
                        + " \"repetition_penalty\": 1.1}", SOURCE));
    }

    @Test
    void invalidValuesAreNamed() {
        for (String[] c : new String[][] {
            {"{\"do_sample\": true, \"top_p\": 1.5}", "top_p"},
            {"{\"do_sample\": true, \"temperature\": -1}", "temperature"},
            {"{\"temperature\": -1}", "temperature"},
            {"{\"top_k\": -3}", "top_k"},
            {"{\"top_k\": 2.5}", "top_k"},
            {"{\"repetition_penalty\": 0}", "repetition_penalty"},
            {"{\"eos_token_id\": \"2\"}", "eos_token_id"},
            {"{\"do_sample\": \"yes\"}", "do_sample"},
            {"{\"bos_token_id\": [1, 2]}", "bos_token_id"},
            {"{\"do_sample\": true", "not valid JSON"},
        }) {
            ModelFormatException e = assertThrows(ModelFormatException.class,
                    () -> GenerationDefaults.parse(c[0], SOURCE), c[0]);
            assertEquals(SOURCE, e.file());
            assertTrue(e.getMessage().contains(c[1]), e.getMessage());
        }
    }
}
