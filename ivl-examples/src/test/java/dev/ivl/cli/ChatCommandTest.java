package dev.ivl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ivl chat}: a scripted session through standard input, with every command. */
class ChatCommandTest {
    @Test
    void scriptedConversationWithResetAlphaAndExit(@TempDir Path tmp) throws IOException {
        Path model = tmp.resolve("tiny");
        Files.createDirectories(model);
        Path src = CliTest.FIXTURES.resolve("hf-llama/mqa-llama2vocab-fp16");
        Files.copy(src.resolve("config.json"), model.resolve("config.json"));
        Files.copy(src.resolve("model.safetensors"), model.resolve("model.safetensors"));
        Files.copy(CliTest.LLAMA2_TOKENIZER, model.resolve("tokenizer.json"));
        String script = "Hello there\n/alpha 0.5\n/alpha x\nAnd again?\n/reset\n\nOnce more\n/exit\nnever read\n";
        InputStream saved = System.in;
        try {
            System.setIn(new ByteArrayInputStream(script.getBytes(StandardCharsets.UTF_8)));
            CliTest.Run r = CliTest.run("chat", "--base", model.toString(), "--value", model.toString(),
                    "--max-new-tokens", "4", "--temperature", "0");
            assertEquals(0, r.exit(), r.err());
            String out = r.out();
            assertEquals(3, out.split("\\[4 tokens", -1).length - 1, "three answers of 4 tokens:\n" + out);
            assertTrue(out.contains("(alpha = 0.5)"), out);
            assertTrue(out.contains("(usage: /alpha 0.5; alpha unchanged)"), out);
            assertTrue(out.contains("(conversation reset)"), out);
        } finally {
            System.setIn(saved);
        }
    }

    @Test
    void aTurnThatCannotBeAnsweredIsTakenBackAndTheSessionGoesOn(@TempDir Path tmp) throws IOException {
        Path model = HostileTemplateCliTest.modelWithTemplate(tmp.resolve("tiny"), "{% for m in messages %}"
                + "{% if m.content == 'boom' %}{{ raise_exception('no boom') }}{% endif %}"
                + "<|{{ m.role }}|>\n{{ m.content }}</s>\n{% endfor %}<|assistant|>\n");
        String tooLong = "word ".repeat(300); // more tokens than the model's context of 256
        String script = "Hello\n" + tooLong + "\nboom\nAgain\n/exit\n";
        InputStream saved = System.in;
        try {
            System.setIn(new ByteArrayInputStream(script.getBytes(StandardCharsets.UTF_8)));
            CliTest.Run r = CliTest.run("chat", "--model", model.toString(), "--max-new-tokens", "4",
                    "--temperature", "0");
            assertEquals(0, r.exit(), r.err());
            assertEquals("", r.err());
            String out = r.out();
            assertTrue(out.contains("more than the model's context of 256 (maxSequenceLength); /reset to start over)"),
                    out);
            assertTrue(out.contains("(the chat template rejects the messages: no boom; /reset to start over)"), out);
            // the refused messages were taken back: the turns around and after them were answered
            assertEquals(2, out.split("\\[\\d tokens", -1).length - 1, "two answers:\n" + out);
        } finally {
            System.setIn(saved);
        }
    }
}
