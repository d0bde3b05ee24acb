package dev.ivl.cli;

import dev.ivl.core.IllegalParameterException;
import dev.ivl.core.generate.GenerationConfig;
import dev.ivl.core.model.LanguageModel;
import dev.ivl.core.text.TextTokenizer;
import dev.ivl.djl.llama.LlamaCombinedModel;
import dev.ivl.djl.llama.LlamaModel;
import dev.ivl.djl.plug.PluggedModel;
import dev.ivl.djl.tokenizer.ChatTemplate;
import dev.ivl.djl.tokenizer.HfTokenizer;
import java.nio.file.Path;
import java.util.List;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** Small helpers shared by the commands. */
final class Cli {
    /** The system property DJL's PyTorch engine reads once, when it starts, for its intra-op thread count. */
    static final String THREADS_PROPERTY = "ai.djl.pytorch.num_threads";

    private Cli() {}

    /**
     * Parses an enum option written in lower case with dashes ({@code value-prefix} for {@code VALUE_PREFIX}).
     *
     * @throws IllegalParameterException naming the option and the accepted values
     */
    static <E extends Enum<E>> E enumOption(String option, String value, Class<E> type) {
        for (E e : type.getEnumConstants()) {
            if (e.name().replace('_', '-').equalsIgnoreCase(value)) {
                return e;
            }
        }
        throw new IllegalParameterException(option, value, "must be one of " + Arrays.stream(type.getEnumConstants())
                .map(e -> e.name().replace('_', '-').toLowerCase(Locale.ROOT)).collect(Collectors.joining(", ")));
    }

    /**
     * Sets the thread budget before any model loads (the engine reads it once, at start): PyTorch's intra-op threads,
     * which a model stepping alone or models stepping one after the other use, and the threads a concurrent
     * {@link LlamaCombinedModel} step shares among its models (one intra-op thread each).
     *
     * @param threads the explicit count, or null for the default: the available processors
     * @return the budget
     */
    static int configureThreads(Integer threads) {
        if (threads != null && threads < 1) {
            throw new IllegalParameterException("--threads", threads, "must be >= 1");
        }
        if (threads != null || System.getProperty(THREADS_PROPERTY) == null) {
            System.setProperty(THREADS_PROPERTY, Integer.toString(
                    threads != null ? threads : Runtime.getRuntime().availableProcessors()));
        }
        return Integer.parseInt(System.getProperty(THREADS_PROPERTY));
    }

    /**
     * Loads the model a command decodes with: the base alone, or the base with the value model plugged in as its
     * folder says.
     *
     * @param model the base model's folder
     * @param value the value options (their folder may be null)
     * @param steps the stepping and thread budget, once configured
     * @param models how to load the models
     * @return the model, which the caller closes
     */
    static Loaded load(Path model, ValueOptions value, StepOptions steps, ModelOptions models) {
        if (value.value == null) {
            LlamaModel base = LlamaModel.load(model, models.toLoadOptions());
            noteFloat32Weights(base);
            return new Loaded(base, null);
        }
        PluggedModel pair = PluggedModel.load(model, value.value, value.toPlugOptions(steps, models));
        noteFloat32Weights(pair.base());
        noteFloat32Weights(pair.value());
        return new Loaded(pair.base(), pair);
    }

    /** Says on stderr which tensors of a float16 model stay float32 because float16 cannot hold their values. */
    static void noteFloat32Weights(LlamaModel model) {
        List<String> kept = model.float32Weights();
        if (!kept.isEmpty()) {
            System.err.println("ivl: note: " + model.source() + ": " + kept.size() + " tensor(s) hold values beyond "
                    + "float16's range and stay float32: " + String.join(", ", kept));
        }
    }

    /**
     * What {@link #load} loaded.
     *
     * @param base the base model
     * @param plugged the base with the value model (which owns both), or null without one
     */
    record Loaded(LlamaModel base, PluggedModel plugged) implements AutoCloseable {
        /** @return the model to decode with */
        LanguageModel model() {
            return plugged != null ? plugged : base;
        }

        /** @return how the model's folder says to decode */
        GenerationConfig generationConfig() {
            return plugged != null ? plugged.generationConfig() : base.generationConfig();
        }

        /**
         * @param tokenizer the tokenizer text is encoded with
         * @param fallbackName the built-in template when nothing records one
         * @return the chat template: the one the value model's (else the model's) ivl.json records, else the
         *     tokenizer's, else the fallback
         */
        ChatTemplate chatTemplate(TextTokenizer tokenizer, String fallbackName) {
            if (plugged != null) {
                return plugged.chatTemplate(fallbackName);
            }
            return base.recordedChatTemplate(fallbackName).orElseGet(() -> tokenizer instanceof HfTokenizer hf
                    ? ChatTemplate.forTokenizer(hf, fallbackName) : ChatTemplate.named(fallbackName));
        }

        @Override
        public void close() {
            if (plugged != null) {
                plugged.close();
            } else {
                base.close();
            }
        }
    }
}
