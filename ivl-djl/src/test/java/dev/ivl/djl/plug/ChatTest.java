package dev.ivl.djl.plug;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ivl.core.generate.CancellationToken;
import dev.ivl.core.generate.GenerationConfig;
import dev.ivl.core.generate.GenerationResult;
import dev.ivl.core.generate.Generator;
import dev.ivl.core.generate.TokenListener;
import dev.ivl.core.text.TextTokenizer;
import dev.ivl.djl.testutil.Fixtures;
import dev.ivl.djl.tokenizer.ChatMessage;
import dev.ivl.djl.tokenizer.ChatTemplate;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Chat}: replies equal to fresh generations, one BOS, and the cache of earlier turns re-used. */
class ChatTest {
    @Test
    void aFiveTurnChatReusesItsCacheAndAnswersAsAFreshSessionWould(@TempDir Path tmp) throws IOException {
        Path llama2 = Fixtures.path("tokenizers/llama2-tokenizer.json");
        Path base = PluggedModelTest.folder(tmp.resolve("base"), llama2, null);
        Path value = PluggedModelTest.folder(tmp.resolve("value"), llama2, "{\"scheme\": \"residual\","
                + " \"template\": \"llama2\"}");
        GenerationConfig config = GenerationConfig.builder().maxNewTokens(8).build();
        try (PluggedModel pair = PluggedModel.load(base, value, PlugOptions.builder().alpha(0.5f).build());
                Chat chat = Chat.of(pair, "zephyr")) {
            TextTokenizer tokenizer = pair.tokenizer().orElseThrow();
            List<ChatMessage> messages = new ArrayList<>();
            long total = 0;
            for (String question : List.of("Hello there", "What is the moon?", "And the sun?", "Why is the sky blue?",
                    "Thanks, bye")) {
                messages.add(ChatMessage.user(question));
                GenerationResult r = chat.reply(messages, config, TokenListener.NONE);
                int[] prompt = tokenizer.encode(ChatTemplate.llama2().render(messages, true), false);
                assertEquals(1, prompt[0], "the template's <s>");
                assertTrue(prompt[1] != 1, "one BOS, not two");
                total += prompt.length;
                GenerationResult fresh = new Generator(pair).generate(prompt, config, TokenListener.NONE,
                        new CancellationToken());
                assertArrayEquals(fresh.tokens(), r.tokens(), "turn " + messages.size());
                messages.add(ChatMessage.assistant(r.text()));
            }
            assertEquals(total, chat.reusedTokens() + chat.prefilledTokens());
            assertTrue(chat.reusedTokens() > chat.prefilledTokens(), "most of a later turn's prompt is cached: "
                    + chat.reusedTokens() + " reused, " + chat.prefilledTokens() + " run");
            System.out.printf(Locale.ROOT, "5-turn chat: %d prompt tokens, %d from the cache, %d run (%.0f %% saved)%n",
                    total, chat.reusedTokens(), chat.prefilledTokens(), 100.0 * chat.reusedTokens() / total);
        }
    }
}
