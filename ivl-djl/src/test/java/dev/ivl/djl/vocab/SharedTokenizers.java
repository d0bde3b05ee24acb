package dev.ivl.djl.vocab;

import dev.ivl.djl.testutil.Fixtures;
import dev.ivl.djl.tokenizer.HfTokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/** The four tokenizers of the tests: Llama-2 and GPT-2 from the fixtures, Llama-3 and Mistral from ../shared. */
final class SharedTokenizers {
    private SharedTokenizers() {}

    static HfTokenizer llama2() {
        return HfTokenizer.load(Fixtures.path("tokenizers/llama2-tokenizer.json"));
    }

    static HfTokenizer gpt2() {
        return HfTokenizer.load(Fixtures.path("tokenizers/gpt2-tokenizer.json"));
    }

    /** Skips the calling test when ../shared is absent. */
    static HfTokenizer llama3() {
        return HfTokenizer.load(Fixtures.shared("tokenizers/llama3-tokenizer.json"));
    }

    /** Skips the calling test when ../shared is absent. */
    static HfTokenizer mistral() {
        return HfTokenizer.load(Fixtures.shared("tokenizers/mistral-v0.1-tokenizer.json"));
    }

    /** @return the in-repo sample texts (varied scripts, numbers, emoji, runs of spaces) */
    static List<String> sample() {
        Path file = Path.of(System.getProperty("user.dir")).resolve("src/test/resources/dev/ivl/djl/vocab/sample.txt");
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank())
                    .collect(Collectors.toList());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @return the texts of the shared reference-id files (skips the calling test when ../shared is absent) */
    static List<String> referenceTexts() {
        Path file = Fixtures.shared("tokenizers/reference-ids/expected-gpt2.jsonl");
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8).stream()
                    .map(l -> com.google.gson.JsonParser.parseString(l).getAsJsonObject().get("t").getAsString())
                    .collect(Collectors.toList());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
