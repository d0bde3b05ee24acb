package dev.ivl.djl.plug;

import dev.ivl.core.InvalidInputException;
import dev.ivl.core.generate.CancellationToken;
import dev.ivl.core.generate.GenerationConfig;
import dev.ivl.core.generate.GenerationResult;
import dev.ivl.core.generate.Generator;
import dev.ivl.core.generate.PrefixSession;
import dev.ivl.core.generate.TokenListener;
import dev.ivl.core.model.LanguageModel;
import dev.ivl.core.text.TextTokenizer;
import dev.ivl.djl.llama.LlamaModel;
import dev.ivl.djl.tokenizer.ChatMessage;
import dev.ivl.djl.tokenizer.ChatTemplate;
import java.util.List;

/**
 * One conversation with a model: each {@link #reply} renders the messages so far with the chat template, encodes
 * them as they are (the template holds the special tokens: no second BOS), and generates the assistant's answer.
 * The model's session is kept between replies, so a turn runs only the tokens the previous turns did not already
 * put in its cache. Not thread-safe: one reply at a time; close it before the model.
 *
 * <pre>{@code
 * try (Chat chat = Chat.of(plugged, "llama2")) {
 *     List<ChatMessage> messages = new ArrayList<>(List.of(ChatMessage.user("Hello!")));
 *     GenerationResult r = chat.reply(messages, plugged.generationConfig(), System.out::print);
 *     messages.add(ChatMessage.assistant(r.text()));
 * }
 * }</pre>
 */
public final class Chat implements AutoCloseable {
    private final Generator generator;
    private final TextTokenizer tokenizer;
    private final ChatTemplate template;
    private final PrefixSession session;

    /**
     * @param model the model to chat with; it must know its tokenizer
     * @param template the chat format
     * @throws InvalidInputException if the model does not know its tokenizer
     */
    public Chat(LanguageModel model, ChatTemplate template) {
        this.generator = new Generator(model);
        this.tokenizer = generator.tokenizer().orElseThrow(() -> new InvalidInputException(
                "chat needs the model's tokenizer: load the model from a folder with its tokenizer.json"));
        this.template = template;
        this.session = new PrefixSession(model);
    }

    /**
     * @param model a base with a value model plugged in
     * @param fallbackTemplate {@code llama2} or {@code zephyr}, when neither the value model's {@code ivl.json} nor
     *     the tokenizer records a template
     * @return a conversation in the template {@link PluggedModel#chatTemplate} picks
     */
    public static Chat of(PluggedModel model, String fallbackTemplate) {
        return new Chat(model, model.chatTemplate(fallbackTemplate));
    }

    /**
     * @param model a model loaded with its tokenizer
     * @param fallbackTemplate {@code llama2} or {@code zephyr}, when the tokenizer has no chat template
     * @return a conversation in the tokenizer's template, else the fallback
     */
    public static Chat of(LlamaModel model, String fallbackTemplate) {
        return new Chat(model, model.tokenizer().map(t -> ChatTemplate.forTokenizer(t, fallbackTemplate))
                .orElseGet(() -> ChatTemplate.named(fallbackTemplate)));
    }

    /**
     * Generates the assistant's next message.
     *
     * @param messages the conversation so far, ending with the user's message
     * @param config how to generate
     * @param listener receives the answer as it is generated
     * @return the answer
     * @throws InvalidInputException if the template rejects the conversation or it does not fit the context
     * @throws dev.ivl.core.ModelFormatException if the tokenizer's template fails, goes past a limit of its sandbox or
     *     renders nothing
     */
    public GenerationResult reply(List<ChatMessage> messages, GenerationConfig config, TokenListener listener) {
        int[] prompt = tokenizer.encode(template.render(messages, true), false); // the template holds the specials
        return generator.generate(session, prompt, config, listener, new CancellationToken());
    }

    /** @return the template the conversation is rendered with */
    public ChatTemplate template() {
        return template;
    }

    /** @return prompt tokens found in the cache over all replies: the saving */
    public long reusedTokens() {
        return session.reusedTokens();
    }

    /** @return prompt tokens run through the model over all replies */
    public long prefilledTokens() {
        return session.prefilledTokens();
    }

    /** Frees the conversation's session. */
    @Override
    public void close() {
        session.close();
    }
}
