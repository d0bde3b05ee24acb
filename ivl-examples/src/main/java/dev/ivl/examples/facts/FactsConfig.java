package dev.ivl.examples.facts;

import dev.ivl.core.IllegalParameterException;
import dev.ivl.examples.experiment.ModelShape;
import java.util.List;
import java.util.Locale;

/**
 * The scale of a facts study: the world, the three base shapes, training lengths, the post-training seeds.
 *
 * @param scale the preset's name
 * @param people how many people the world has
 * @param paraphrases how many wordings of each fact the pre-training text holds (1–3)
 * @param small the small base S, the value models' initialisation
 * @param mid the mid base M, the curriculum's second base
 * @param large the large base L, the transfer target
 * @param pretrainEpochs passes over the pre-training text
 * @param pretrainLr peak learning rate of pre-training
 * @param continualEpochs passes of L over new text to make the continually pre-trained L
 * @param postEpochs passes over the demonstrations
 * @param postLr peak learning rate of post-training
 * @param lambdas the λ of the residual value models
 * @param seeds the post-training seeds (the bases are pre-trained once, with the first)
 * @param maxNewTokens the most tokens per answer
 */
public record FactsConfig(String scale, int people, int paraphrases, ModelShape small, ModelShape mid,
        ModelShape large, int pretrainEpochs, float pretrainLr, int continualEpochs, int postEpochs, float postLr,
        List<Float> lambdas, List<Long> seeds, int maxNewTokens) {
    /** The models' context. */
    public static final int CONTEXT = 128;
    /** Tokens per optimizer step. */
    public static final int BATCH_TOKENS = 512;

    /** Validates the sizes. */
    public FactsConfig {
        lambdas = List.copyOf(lambdas);
        seeds = List.copyOf(seeds);
        if (seeds.isEmpty() || lambdas.isEmpty()) {
            throw new IllegalParameterException("seeds/lambdas", seeds + "/" + lambdas, "must not be empty");
        }
        if (pretrainEpochs < 1 || postEpochs < 1 || continualEpochs < 1 || maxNewTokens < 1) {
            throw new IllegalParameterException("epochs", pretrainEpochs + "/" + postEpochs, "must be >= 1");
        }
    }

    /** @return the reported run: 3 seeds, λ ∈ {0, 0.1, 1, 3} */
    public static FactsConfig full() {
        return new FactsConfig("full", 300, 3, new ModelShape(64, 172, 2), new ModelShape(96, 256, 3),
                new ModelShape(160, 432, 4), 40, 3e-3f, 8, 12, 2e-3f, List.of(0f, 0.1f, 1f, 3f),
                List.of(1L, 2L, 3L), 8);
    }

    /** @return the whole pipeline in well under a minute: a small world, small models, one seed, two λ */
    public static FactsConfig quick() {
        return new FactsConfig("quick", 80, 2, new ModelShape(32, 86, 1), new ModelShape(64, 172, 1),
                new ModelShape(96, 256, 2), 40, 3e-3f, 4, 30, 2e-3f, List.of(0f, 1f), List.of(1L), 8);
    }

    /**
     * @param name full or quick
     * @return the preset
     */
    public static FactsConfig preset(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "full" -> full();
            case "quick" -> quick();
            default -> throw new IllegalParameterException("--scale", name, "must be full or quick");
        };
    }
}
