package dev.ivl.cli;

import dev.ivl.core.InvalidInputException;
import dev.ivl.core.InvalidParameterException;
import dev.ivl.core.combine.CombinedModel;
import dev.ivl.core.combine.ResidualCombiner;
import dev.ivl.core.combine.Stepping;
import dev.ivl.core.combine.VocabularyPolicy;
import dev.ivl.core.model.LanguageModel;
import dev.ivl.djl.llama.CascadeModel;
import dev.ivl.djl.llama.LlamaCombinedModel;
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
     * Sets the thread budget before any model loads (the engine reads it once, at start): PyTorch's intra-op threads,
     * which a model stepping alone or models stepping one after the other use, and the threads a concurrent
     * {@link LlamaCombinedModel} step shares among its models (one intra-op thread each).
     *
     * @param threads the explicit count, or null for the default: the available processors
     * @return the budget
     */
    static int configureThreads(Integer threads) {
        if (threads != null && threads < 1) {
            throw new InvalidParameterException("--threads", threads, "must be >= 1");
        }
        if (threads != null || System.getProperty(THREADS_PROPERTY) == null) {
            System.setProperty(THREADS_PROPERTY, Integer.toString(
                    threads != null ? threads : Runtime.getRuntime().availableProcessors()));
        }
        return Integer.parseInt(System.getProperty(THREADS_PROPERTY));
    }

    /**
     * @param combined models combined on the host
     * @param stepping how their forward passes run
     * @param threads the thread budget of a concurrent step
     * @return the combination run on the models' device ({@link LlamaCombinedModel}) when it can be, else as given
     */
    static LanguageModel onDevice(CombinedModel combined, Stepping stepping, int threads) {
        if (LlamaCombinedModel.unsupportedReason(combined) == null) {
            return LlamaCombinedModel.of(combined).withStepping(stepping).withThreads(threads);
        }
        return combined.withStepping(stepping);
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
     * @param threads the thread budget of a concurrent step (residual combination)
     * @return the combined model
     * @throws InvalidInputException if the folder holds a plain language model rather than a value model
     */
    static LanguageModel combine(LlamaModel base, LlamaModel value, Path valueDir, float alpha,
            VocabularyPolicy policy, Stepping stepping, int threads) {
        Scheme scheme = Scheme.recordedIn(valueDir);
        return switch (scheme) {
            case CASCADE, CASCADE_NO_TEXT -> new CascadeModel(base, value, alpha, scheme == Scheme.CASCADE);
            case CAUSAL_LM -> throw new InvalidInputException(valueDir + " was trained as a plain language model"
                    + " (ivl.json scheme causal-lm), not as a value model: use it with --model");
            case RESIDUAL -> onDevice(new ResidualCombiner(alpha, policy).combine(base, value), stepping, threads);
        };
    }
}
