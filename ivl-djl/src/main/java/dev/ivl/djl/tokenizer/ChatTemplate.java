package dev.ivl.djl.tokenizer;

import dev.ivl.core.InvalidInputException;
import dev.ivl.core.IllegalParameterException;
import java.util.List;

/**
 * Turns a conversation into the prompt text a chat model was trained on. The text contains the special tokens the
 * format prescribes (such as {@code <s>} or {@code </s>}) as text; encode it with {@code addSpecialTokens = false},
 * as Hugging Face's {@code apply_chat_template} does. Implementations are immutable and thread-safe.
 */
public interface ChatTemplate {
    /**
     * @param messages the conversation so far
     * @param addGenerationPrompt whether to end with the cue for the assistant's reply
     * @return the prompt text
     * @throws InvalidInputException if the template rejects the conversation (roles out of order, an unknown role,
     *     no messages); the message says why
     * @throws dev.ivl.core.ModelFormatException naming the tokenizer_config.json (or IllegalParameterException for a
     *     {@link #jinja} template given directly) if a Jinja template fails, goes past a limit of its sandbox, or
     *     renders nothing
     */
    String render(List<ChatMessage> messages, boolean addGenerationPrompt);

    /**
     * Meta's Llama-2 chat format: {@code <s>[INST] user [/INST] assistant </s><s>[INST] user [/INST]}, with an
     * optional first system message folded into the first user turn as {@code <<SYS>>\nsystem\n<</SYS>>\n\n}.
     * Message contents are stripped of surrounding whitespace. Roles after the system message must alternate user,
     * assistant, user, ... The generation prompt is implicit (the text ends with {@code [/INST]}), so
     * {@code addGenerationPrompt} changes nothing.
     *
     * @return the template
     */
    static ChatTemplate llama2() {
        return BuiltinChatTemplate.LLAMA2;
    }

    /**
     * The Zephyr format used by TinyLlama-1.1B-Chat: each message as {@code <|role|>\ncontent</s>\n}, and
     * {@code <|assistant|>\n} as the generation prompt. Roles must be system, user or assistant.
     *
     * @return the template
     */
    static ChatTemplate zephyr() {
        return BuiltinChatTemplate.ZEPHYR;
    }

    /**
     * @param name {@code llama2} or {@code zephyr}
     * @return the built-in template of that name
     * @throws IllegalParameterException if there is none
     */
    static ChatTemplate named(String name) {
        switch (name) {
            case "llama2":
                return llama2();
            case "zephyr":
                return zephyr();
            default:
                throw new IllegalParameterException("chatTemplate", name, "must be llama2 or zephyr");
        }
    }

    /**
     * A Hugging Face Jinja chat template, rendered by Jinjava in a sandbox: the template sees only the variables
     * {@code messages} (a list of {role, content} maps), {@code add_generation_prompt}, {@code bos_token},
     * {@code eos_token} and the function {@code raise_exception(message)}; it cannot call Java methods, load other
     * templates or files, nest brackets and blocks more than {@link dev.ivl.core.Limits#MAX_TEMPLATE_NESTING} levels
     * deep, or build more than {@link dev.ivl.core.Limits#MAX_TEMPLATE_OUTPUT_CHARS} characters (in its output or in
     * any one filter, checked before the filter runs). Its filters are Jinja's; Jinjava's others are refused. Blocks
     * are trimmed as in Hugging Face's environment ({@code trim_blocks} and {@code lstrip_blocks}). Strings offer
     * the Python methods {@code strip}, {@code lstrip}, {@code rstrip}, {@code startswith}, {@code endswith},
     * {@code upper}, {@code lower}, {@code title}, {@code capitalize}, {@code replace} and {@code split}; maps
     * {@code items}, {@code keys}, {@code values} and {@code get}.
     *
     * @param template the template source
     * @param bosToken the value of {@code bos_token}
     * @param eosToken the value of {@code eos_token}
     * @return the template
     * @throws IllegalParameterException if the template nests too deeply or does not parse
     */
    static ChatTemplate jinja(String template, String bosToken, String eosToken) {
        return new JinjaChatTemplate(template, bosToken, eosToken, null);
    }

    /**
     * @param tokenizer a tokenizer, loaded from a model folder with a tokenizer_config.json
     * @param fallbackName the {@link #named built-in template} to use if the tokenizer has no chat template
     * @return the tokenizer's own chat template (with its BOS and EOS tokens) when it has one, else the fallback
     * @throws dev.ivl.core.ModelFormatException naming the tokenizer_config.json if its template nests too deeply or
     *     does not parse
     * @throws IllegalParameterException if there is no built-in template named {@code fallbackName} (checked even
     *     when the tokenizer has its own template)
     */
    static ChatTemplate forTokenizer(HfTokenizer tokenizer, String fallbackName) {
        ChatTemplate fallback = named(fallbackName);
        return tokenizer.chatTemplateSource()
                .<ChatTemplate>map(source -> new JinjaChatTemplate(source, tokenizer.bosTokenText(),
                        tokenizer.eosTokenText(), tokenizer.configFile()))
                .orElse(fallback);
    }
}
