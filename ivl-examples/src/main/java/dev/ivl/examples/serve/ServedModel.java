package dev.ivl.examples.serve;

import dev.ivl.core.generate.GenerationConfig;
import dev.ivl.core.model.LanguageModel;
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
        HfTokenizer tokenizer, ChatTemplate template, GenerationConfig defaults) {}
