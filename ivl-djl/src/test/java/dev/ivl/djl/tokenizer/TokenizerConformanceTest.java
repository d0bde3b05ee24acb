package dev.ivl.djl.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Ids against the reference tokenizers of shared/tokenizers/reference-ids (3,000+ texts each, ids computed by
 * independent JavaScript tokenizers with each tokenizer's default special tokens), plus exact round trips and
 * streamed decoding of every text. Also the vocabulary size and special tokens each tokenizer is known to have.
 */
class TokenizerConformanceTest {
    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "llama,   llama2-tokenizer.json,       32000,  1,      2,      true",
        "mistral, mistral-v0.1-tokenizer.json, 32000,  1,      2,      true",
        "llama3,  llama3-tokenizer.json,       128256, 128000, 128001, false",
        "gpt2,    gpt2-tokenizer.json,         50257,  -1,     50256,  false"})
    void matchesTheReferenceIds(String name, String file, int vocabSize, int bos, int firstEos, boolean addsBos)
            throws IOException {
        List<String> texts = new ArrayList<>();
        List<int[]> expectedIds = new ArrayList<>();
        for (String line : Files.readAllLines(TestFiles.shared("reference-ids/expected-" + name + ".jsonl"))) {
            if (line.isBlank()) {
                continue;
            }
            JsonObject entry = JsonParser.parseString(line).getAsJsonObject();
            texts.add(entry.get("t").getAsString());
            JsonArray ids = entry.getAsJsonArray("ids");
            int[] expected = new int[ids.size()];
            for (int i = 0; i < expected.length; i++) {
                expected[i] = ids.get(i).getAsInt();
            }
            expectedIds.add(expected);
        }
        assertTrue(texts.size() > 3000, "reference file has " + texts.size() + " texts");

        try (HfTokenizer tokenizer = HfTokenizer.load(TestFiles.shared(file))) {
            assertEquals(vocabSize, tokenizer.vocabSize());
            assertEquals(bos, tokenizer.bosTokenId().orElse(-1));
            assertEquals(firstEos, tokenizer.eosTokenIds()[0]);
            assertEquals(tokenizer.encode("Hi", false).length + (addsBos ? 1 : 0), tokenizer.encode("Hi").length);
            List<String> failures = new ArrayList<>();
            for (int k = 0; k < texts.size(); k++) {
                String text = texts.get(k);
                int[] ids = tokenizer.encode(text);
                if (!Arrays.equals(expectedIds.get(k), ids)) {
                    failures.add("ids of " + quote(text) + ": expected " + Arrays.toString(expectedIds.get(k))
                            + ", got " + Arrays.toString(ids));
                } else if (!tokenizer.decode(ids).equals(text)) {
                    failures.add("round trip of " + quote(text) + " gives " + quote(tokenizer.decode(ids)));
                } else if (!HfTokenizerTest.streamed(tokenizer, ids).equals(text)) {
                    failures.add("streamed decoding of " + quote(text) + " differs");
                }
            }
            assertEquals(List.of(), failures.subList(0, Math.min(10, failures.size())),
                    failures.size() + " of " + texts.size() + " texts fail");
        }
    }

    private static String quote(String text) {
        String shown = text.length() > 80 ? text.substring(0, 77) + "..." : text;
        return "\"" + shown.replace("\n", "\\n") + "\"";
    }
}
