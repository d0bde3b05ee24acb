package dev.ivl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model folder whose tokenizer_config.json holds a hostile or broken chat template: {@code ivl generate --chat}
 * and {@code ivl chat} refuse it with one line naming the file, not a stack trace, memory exhaustion or a misleading
 * message.
 */
class HostileTemplateCliTest {
    @TempDir
    Path tmp;

    /** @return a tiny model folder with the Llama-2 tokenizer and the given chat template */
    static Path modelWithTemplate(Path dir, String template) throws IOException {
        Path model = Files.createDirectories(dir);
        Path src = CliTest.FIXTURES.resolve("hf-llama/mqa-llama2vocab-fp16");
        Files.copy(src.resolve("config.json"), model.resolve("config.json"));
        Files.copy(src.resolve("model.safetensors"), model.resolve("model.safetensors"));
        Files.copy(CliTest.LLAMA2_TOKENIZER, model.resolve("tokenizer.json"));
        JsonObject config = new JsonObject();
        config.addProperty("bos_token", "<s>");
        config.addProperty("eos_token", "</s>");
        config.addProperty("chat_template", template);
        Files.writeString(model.resolve("tokenizer_config.json"), config.toString());
        return model;
    }

    private static CliTest.Run generateChat(Path model) {
        return CliTest.run("generate", "--model", model.toString(), "--prompt", "hi", "--chat", "--max-new-tokens",
                "2");
    }

    private static CliTest.Run chat(Path model, String script) {
        InputStream saved = System.in;
        try {
            System.setIn(new ByteArrayInputStream(script.getBytes(StandardCharsets.UTF_8)));
            return CliTest.run("chat", "--model", model.toString(), "--max-new-tokens", "2");
        } finally {
            System.setIn(saved);
        }
    }

    private static void assertOneLineError(CliTest.Run r, Path model, String what) {
        assertEquals(1, r.exit(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertEquals("ivl: error: " + model.resolve("tokenizer_config.json") + ": chat_template " + what,
                r.err().strip());
    }

    @Test
    void deeplyNestedTemplatesAreRefusedOnOneLine() throws IOException {
        Path parens = modelWithTemplate(tmp.resolve("parens"),
                "{{ " + "(".repeat(1_000) + "1" + ")".repeat(1_000) + " }}");
        assertOneLineError(generateChat(parens), parens, "nests brackets and blocks more than 64 levels deep");
        Path blocks = modelWithTemplate(tmp.resolve("blocks"),
                "{% if true %}".repeat(5_000) + "x" + "{% endif %}".repeat(5_000));
        assertOneLineError(chat(blocks, "hi\n"), blocks, "nests brackets and blocks more than 64 levels deep");
    }

    @Test
    void aFilterThatWouldBuildTooMuchIsRefusedOnOneLine() throws IOException {
        Path model = modelWithTemplate(tmp.resolve("center"), "{{ 'a'|center(2000000000) }}");
        assertOneLineError(generateChat(model), model,
                "would build more than 4194304 characters in the filter 'center'");
    }

    @Test
    void aTemplateThatRendersNothingSaysSo() throws IOException {
        Path model = modelWithTemplate(tmp.resolve("empty"), "{{ messages[0].contnet }}");
        CliTest.Run r = generateChat(model);
        assertOneLineError(r, model, "rendered nothing for 1 message(s) (undefined variables and attributes read as"
                + " nothing)");
        assertFalse(r.err().contains("prompt is empty"), r.err());
    }
}
