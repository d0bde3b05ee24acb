package dev.ivl.cli;

import dev.ivl.core.InvalidInputException;
import dev.ivl.core.InvalidParameterException;
import dev.ivl.core.combine.ResidualCombiner;
import dev.ivl.core.combine.Stepping;
import dev.ivl.core.combine.VocabularyPolicy;
import dev.ivl.core.model.LanguageModel;
import dev.ivl.djl.llama.CascadeModel;
import dev.ivl.djl.llama.LlamaModel;
import dev.ivl.djl.train.Scheme;
import java.nio.file.Path;
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
     * @throws InvalidParameterException naming the option and the accepted values
     */
    static <E extends Enum<E>> E enumOption(String option, String value, Class<E> type) {
        for (E e : type.getEnumConstants()) {
            if (e.name().replace('_', '-').equalsIgnoreCase(value)) {
                return e;
            }
        }
        throw new InvalidParameterException(option, value, "must be one of " + Arrays.stream(type.getEnumConstants())
                .map(e -> e.name().replace('_', '-').toLowerCase(Locale.ROOT)).collect(Collectors.joining(", ")));
    }

    /**
     * Sets PyTorch's intra-op threads before any model loads (the engine reads the setting once, at start). By
     * default, the cores are shared among the models that step at the same time: on 2 cores, two models stepping
     * concurrently with one thread each beat one model after the other with two threads (small operations do not
     * use two cores well; two threads do).
     *
     * @param threads the explicit count, or null for the default
     * @param concurrentModels how many models run their forward passes at the same time
     */
    static void configureThreads(Integer threads, int concurrentModels) {
        if (threads != null && threads < 1) {
            throw new InvalidParameterException("--threads", threads, "must be >= 1");
        }
        int count = threads != null
                ? threads
                : Math.max(1, Runtime.getRuntime().availableProcessors() / concurrentModels);
        if (System.getProperty(THREADS_PROPERTY) == null || threads != null) {
            System.setProperty(THREADS_PROPERTY, Integer.toString(count));
        }
    }

    /**
     * Plugs a value model into a base: the residual combination, or the cascade one when the value model's
     * {@code ivl.json} says it was so trained.
     *
     * @param base the base model
     * @param value the value model
     * @param valueDir the value model's folder, where {@code ivl.json} may record its scheme
     * @param alpha the value model's weight
     * @param policy how differing vocabulary sizes are treated (residual combination)
     * @param stepping how the two forward passes run (residual combination)
     * @return the combined model
     * @throws InvalidInputException if the folder holds a plain language model rather than a value model
     */
    static LanguageModel combine(LlamaModel base, LlamaModel value, Path valueDir, float alpha,
            VocabularyPolicy policy, Stepping stepping) {
        Scheme scheme = Scheme.recordedIn(valueDir);
        return switch (scheme) {
            case CASCADE, CASCADE_NO_TEXT -> new CascadeModel(base, value, alpha, scheme == Scheme.CASCADE);
            case CAUSAL_LM -> throw new InvalidInputException(valueDir + " was trained as a plain language model"
                    + " (ivl.json scheme causal-lm), not as a value model: use it with --model");
            case RESIDUAL -> new ResidualCombiner(alpha, policy).combine(base, value).withStepping(stepping);
        };
    }
}
