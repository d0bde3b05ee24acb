package dev.ivl.djl.langchain4j;

import dev.ivl.core.generate.CancellationToken;
import dev.ivl.core.generate.FinishReason;
import dev.ivl.core.generate.GenerationConfig;
import dev.ivl.core.generate.GenerationResult;
import dev.ivl.core.generate.Generator;
import dev.ivl.core.generate.TokenListener;
import dev.ivl.core.model.LanguageModel;
import dev.ivl.core.text.TextTokenizer;
import dev.ivl.djl.plug.PluggedModel;
import dev.ivl.djl.tokenizer.ChatTemplate;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.ModelProvider;
import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.output.TokenUsage;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * An ivl model as LangChain4j's {@link ChatModel} and {@link StreamingChatModel}, in process: each request's messages
 * are rendered with the model's chat template and decoded by a {@link Generator}; the request's temperature, top-p,
 * maximum output tokens and stop sequences override the model's defaults. Text messages only: tools, response
 * formats and non-text contents are refused. Streaming runs on the calling thread, handing each piece of text to
 * the handler as it is decoded. Thread-safe: each request has its own session.
 *
 * <pre>{@code
 * try (PluggedModel model = PluggedModel.load(baseDir, valueDir, PlugOptions.defaults())) {
 *     ChatModel chat = IvlChatModel.of(model, "llama2");
 *     String answer = chat.chat("Where does Brudem Fesul live?");
 * }
 * }</pre>
 */
public final class IvlChatModel implements ChatModel, StreamingChatModel {
    private final LanguageModel model;
    private final ChatTemplate template;
    private final GenerationConfig defaults;
    private final String name;

    /**
     * @param model the model; its tokenizer encodes the rendered conversation
     * @param template renders the conversation
     * @param defaults the generation settings a request's parameters override
     * @param name the model name responses carry
     */
    public IvlChatModel(LanguageModel model, ChatTemplate template, GenerationConfig defaults, String name) {
        this.model = Objects.requireNonNull(model, "model");
        this.template = Objects.requireNonNull(template, "template");
        this.defaults = Objects.requireNonNull(defaults, "defaults");
        this.name = Objects.requireNonNull(name, "name");
        if (model.tokenizer().isEmpty()) {
            throw new IllegalArgumentException("the model has no tokenizer to encode conversations with");
        }
    }

    /**
     * @param model a base with its value model (or a base alone: {@code PluggedModel.load} needs a value folder,
     *     so for a base alone use the constructor)
     * @param fallbackTemplate the built-in template ({@code llama2} or {@code zephyr}) when neither the value
     *     model's {@code ivl.json} nor the tokenizer has one
     * @return the chat model, with the template and generation settings the model's folders give
     */
    public static IvlChatModel of(PluggedModel model, String fallbackTemplate) {
        return new IvlChatModel(model, model.chatTemplate(fallbackTemplate), model.generationConfig(), "ivl");
    }

    @Override
    public ChatResponse doChat(ChatRequest request) {
        return generate(request, TokenListener.NONE);
    }

    @Override
    public void doChat(ChatRequest request, StreamingChatResponseHandler handler) {
        ChatResponse response;
        try {
            response = generate(request, handler::onPartialResponse);
        } catch (RuntimeException e) {
            handler.onError(e);
            return;
        }
        handler.onCompleteResponse(response);
    }

    // both interfaces define these: one answer for both
    @Override
    public ChatRequestParameters defaultRequestParameters() {
        return ChatModel.super.defaultRequestParameters();
    }

    @Override
    public List<ChatModelListener> listeners() {
        return List.of();
    }

    @Override
    public ModelProvider provider() {
        return ModelProvider.OTHER;
    }

    @Override
    public Set<Capability> supportedCapabilities() {
        return Set.of();
    }

    private ChatResponse generate(ChatRequest request, TokenListener listener) {
        GenerationConfig config = config(request.parameters());
        TextTokenizer tokenizer = model.tokenizer().orElseThrow();
        int[] prompt = tokenizer.encode(template.render(messages(request.messages()), true), false);
        GenerationResult r = new Generator(model).generate(prompt, config, listener, new CancellationToken());
        return ChatResponse.builder().aiMessage(AiMessage.from(r.text())).modelName(name)
                .tokenUsage(new TokenUsage(r.usage().promptTokens(), r.usage().completionTokens()))
                .finishReason(r.finishReason() == FinishReason.LENGTH
                        ? dev.langchain4j.model.output.FinishReason.LENGTH
                        : dev.langchain4j.model.output.FinishReason.STOP)
                .build();
    }

    private GenerationConfig config(ChatRequestParameters p) {
        if (p == null) {
            return defaults;
        }
        if (p.toolSpecifications() != null && !p.toolSpecifications().isEmpty() || p.responseFormat() != null
                && p.responseFormat().type() != dev.langchain4j.model.chat.request.ResponseFormatType.TEXT) {
            throw new UnsupportedOperationException("ivl generates text: tools and response formats are not supported");
        }
        GenerationConfig.Builder b = defaults.toBuilder();
        if (p.temperature() != null) {
            b.temperature(p.temperature().floatValue());
        }
        if (p.topP() != null) {
            b.topP(p.topP().floatValue());
        }
        if (p.maxOutputTokens() != null) {
            b.maxNewTokens(p.maxOutputTokens());
        }
        if (p.stopSequences() != null) {
            b.stopStrings(p.stopSequences().toArray(String[]::new));
        }
        return b.build();
    }

    private static List<dev.ivl.djl.tokenizer.ChatMessage> messages(List<ChatMessage> messages) {
        List<dev.ivl.djl.tokenizer.ChatMessage> out = new ArrayList<>();
        for (ChatMessage m : messages) {
            if (m instanceof SystemMessage s) {
                out.add(dev.ivl.djl.tokenizer.ChatMessage.system(s.text()));
            } else if (m instanceof UserMessage u && u.hasSingleText()) {
                out.add(dev.ivl.djl.tokenizer.ChatMessage.user(u.singleText()));
            } else if (m instanceof AiMessage a && !a.hasToolExecutionRequests() && a.text() != null) {
                out.add(dev.ivl.djl.tokenizer.ChatMessage.assistant(a.text()));
            } else {
                throw new UnsupportedOperationException("ivl renders text messages only (system, user, assistant);"
                        + " got " + m.type());
            }
        }
        return out;
    }
}
