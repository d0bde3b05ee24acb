package dev.ivl.examples.experiment;

import dev.ivl.core.IllegalParameterException;
import java.util.Locale;

/**
 * The scale of an experiment run: model shapes, data sizes and training lengths. Three presets: {@link #full} (the
 * reported run, about 12 minutes on 2 cores), {@link #quick} (the whole pipeline in about a minute, results not
 * meaningful) and {@link #micro} (seconds, for tests).
 *
 * @param scale the preset's name
 * @param small the small base S, the value models' initialisation
 * @param mid the mid-size base M (the curriculum's second base)
 * @param large the large base L, the transfer target
 * @param chapters how many chapters of the corpus, from the first, form the pre-training text; ≥ 1
 * @param chunkWords the most words in one pre-training sample (consecutive verses of a chapter); ≥ 1
 * @param pretrainEpochs passes over the pre-training text
 * @param pretrainLr peak learning rate of pre-training
 * @param evalCount held-out demonstrations
 * @param trainCount training demonstrations at most
 * @param minWords the fewest words of a verse used for a demonstration
 * @param maxWords the most words of a verse used for a demonstration
 * @param postEpochs passes over the demonstrations (fine-tuning and value models)
 * @param postLr peak learning rate of fine-tuning and value-model training
 * @param pretrainBatchTokens tokens per pre-training optimizer step (one packed row); ≥ {@link #CONTEXT}
 * @param postBatchTokens tokens per post-training optimizer step (one packed row); ≥ {@link #CONTEXT}
 * @param maxNewTokens the most tokens generated per evaluation answer
 * @param seed seeds the random initialisations, the data split and the data order
 */
public record ExperimentConfig(
        String scale,
        ModelShape small,
        ModelShape mid,
        ModelShape large,
        int chapters,
        int chunkWords,
        int pretrainEpochs,
        float pretrainLr,
        int evalCount,
        int trainCount,
        int minWords,
        int maxWords,
        int postEpochs,
        float postLr,
        int pretrainBatchTokens,
        int postBatchTokens,
        int maxNewTokens,
        long seed) {
    /** The models' context length. */
    public static final int CONTEXT = 256;

    /** Validates the counts. */
    public ExperimentConfig {
        positive("chapters", chapters);
        positive("chunkWords", chunkWords);
        positive("pretrainEpochs", pretrainEpochs);
        positive("evalCount", evalCount);
        positive("trainCount", trainCount);
        positive("postEpochs", postEpochs);
        positive("maxNewTokens", maxNewTokens);
        if (pretrainBatchTokens < CONTEXT) {
            throw new IllegalParameterException("pretrainBatchTokens", pretrainBatchTokens, "must be >= the context "
                    + CONTEXT);
        }
        if (postBatchTokens < CONTEXT) {
            throw new IllegalParameterException("postBatchTokens", postBatchTokens, "must be >= the context "
                    + CONTEXT);
        }
    }

    private static void positive(String name, int value) {
        if (value < 1) {
            throw new IllegalParameterException(name, value, "must be >= 1");
        }
    }

    /**
     * @param seed the seed
     * @return the reported run: S 64 wide / 2 layers, M 128 / 3, L 192 / 4, pre-trained on Genesis 1–10
     */
    public static ExperimentConfig full(long seed) {
        return new ExperimentConfig("full", new ModelShape(64, 172, 2), new ModelShape(128, 344, 3),
                new ModelShape(192, 512, 4), 10, 60, 18, 2e-3f, 40, 400, 8, 30, 12, 1e-3f, 512, 256, 40, seed);
    }

    /**
     * @param seed the seed
     * @return the whole pipeline at a minute or two: smaller models, Genesis 1–3, six pre-training epochs
     */
    public static ExperimentConfig quick(long seed) {
        return new ExperimentConfig("quick", new ModelShape(32, 86, 1), new ModelShape(64, 172, 1),
                new ModelShape(96, 256, 2), 3, 60, 6, 2e-3f, 8, 40, 8, 30, 4, 1e-3f, 512, 256, 24, seed);
    }

    /**
     * @param seed the seed
     * @return a test scale: the smallest shapes, Genesis 1, a handful of steps, four answers of a few tokens
     */
    public static ExperimentConfig micro(long seed) {
        return new ExperimentConfig("micro", new ModelShape(32, 32, 1), new ModelShape(32, 48, 1),
                new ModelShape(64, 64, 1), 1, 200, 1, 2e-3f, 4, 8, 8, 30, 1, 1e-3f, 1024, 1024, 6, seed);
    }

    /**
     * @param name full, quick or micro
     * @param seed the seed
     * @return the preset
     * @throws IllegalParameterException naming {@code --scale} for any other name
     */
    public static ExperimentConfig preset(String name, long seed) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "full" -> full(seed);
            case "quick" -> quick(seed);
            case "micro" -> micro(seed);
            default -> throw new IllegalParameterException("--scale", name, "must be full, quick or micro");
        };
    }
}
