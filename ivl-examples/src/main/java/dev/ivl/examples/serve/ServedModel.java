package dev.ivl.examples.serve;

import dev.ivl.core.InvalidInputException;
import dev.ivl.core.generate.GenerationConfig;
import dev.ivl.core.model.LanguageModel;
import dev.ivl.djl.llama.LlamaModel;
import dev.ivl.djl.plug.PluggedModel;
import dev.ivl.djl.tokenizer.ChatTemplate;
import dev.ivl.djl.tokenizer.HfTokenizer;
import java.util.function.Function;

/**
 * What the server answers with.
 *
 * @param id the model's name in requests and in {@code /v1/models}
 * @param model the model to decode with
 * @param withAlpha the same model with another α per request ({@code ivl_alpha}), or null for a base alone
 * @param tokenizer the tokenizer the model samples in
 * @param template the chat template of {@code /v1/chat/completions}
 * @param defaults the model folder's generation settings, which a request's parameters override
 */
public record ServedModel(String id, LanguageModel model, Function<Float, LanguageModel> withAlpha,
        HfTokenizer tokenizer, ChatTemplate template, GenerationConfig defaults) {
    /**
     * @param id the model's name
     * @param pair a base with its value model; requests may set their own α
     * @param fallbackTemplate the built-in template when neither the folders nor the tokenizer give one
     * @return the pair with the tokenizer, chat template and generation settings its folders give
     * @throws InvalidInputException if the pair has no tokenizer to encode text with
     */
    public static ServedModel of(String id, PluggedModel pair, String fallbackTemplate) {
        HfTokenizer tokenizer = (HfTokenizer) pair.tokenizer().orElseThrow(() -> noTokenizer(pair.base()));
        return new ServedModel(id, pair, pair::withAlpha, tokenizer, pair.chatTemplate(fallbackTemplate),
                pair.generationConfig());
    }

    /**
     * @param id the model's name
     * @param model a model alone ({@code ivl_alpha} is refused)
     * @param fallbackTemplate the built-in template when neither its {@code ivl.json} nor its tokenizer gives one
     * @return the model with the tokenizer, chat template and generation settings its folder gives
     * @throws InvalidInputException if the folder has no tokenizer to encode text with
     */
    public static ServedModel of(String id, LlamaModel model, String fallbackTemplate) {
        HfTokenizer tokenizer = model.tokenizer().orElseThrow(() -> noTokenizer(model));
        return new ServedModel(id, model, null, tokenizer, model.recordedChatTemplate(fallbackTemplate)
                .orElseGet(() -> ChatTemplate.forTokenizer(tokenizer, fallbackTemplate)), model.generationConfig());
    }

    private static InvalidInputException noTokenizer(LlamaModel model) {
        return new InvalidInputException(model.source() + " has no tokenizer.json: the server encodes text with it");
    }
}
