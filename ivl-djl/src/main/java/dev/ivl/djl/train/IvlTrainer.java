package dev.ivl.djl.train;

import java.util.Objects;

/**
 * PLACEHOLDER so that the {@code ivl train} command compiles on the helper-data branch; the real trainer is written
 * on the lead's branch and replaces this file at merge.
 */
public final class IvlTrainer {
    private final TrainConfig config;

    /** @param config what and how to train */
    public IvlTrainer(TrainConfig config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    /**
     * @param listener receives progress
     * @return never (placeholder)
     * @throws UnsupportedOperationException always
     */
    public TrainResult train(TrainListener listener) {
        throw new UnsupportedOperationException("placeholder IvlTrainer: training is not on this branch ("
                + config.out() + ")");
    }
}
