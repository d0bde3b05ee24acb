package dev.ivl.examples.experiment;

import java.util.List;

/**
 * What an experiment run measured.
 *
 * @param config the scale and seed
 * @param command the command line that ran it
 * @param machine the CPU, cores and threads it ran on
 * @param models the base models: name, shape and parameter count
 * @param demonstrations training and held-out demonstration counts
 * @param stages each stage's wall time and training volume, in order
 * @param probes how much of the held-out verses each base model knows, before any post-training
 * @param rows the evaluated configurations, in table order
 * @param totalSeconds the wall time of the whole run
 */
public record ExperimentResults(ExperimentConfig config, String command, String machine, List<Model> models,
        Demonstrations demonstrations, List<Stage> stages, List<Probe> probes, List<Row> rows, double totalSeconds) {
    /** Copies the lists. */
    public ExperimentResults {
        models = List.copyOf(models);
        stages = List.copyOf(stages);
        probes = List.copyOf(probes);
        rows = List.copyOf(rows);
    }

    /**
     * A base model.
     *
     * @param name S, M or L
     * @param shape its shape
     * @param parameters its weight count (tied embeddings counted once)
     */
    public record Model(String name, ModelShape shape, long parameters) {}

    /**
     * @param train demonstrations trained on
     * @param eval held-out demonstrations evaluated on
     * @param pretrainSamples pre-training samples
     */
    public record Demonstrations(int train, int eval, int pretrainSamples) {}

    /**
     * One stage of the pipeline.
     *
     * @param name e.g. {@code pretrain-L}
     * @param seconds its wall time
     * @param steps optimizer steps (0 for stages that do not train)
     * @param labelTokens label tokens trained on, over all epochs (0 for stages that do not train)
     * @param finalLoss the loss of the last step (NaN for stages that do not train)
     */
    public record Stage(String name, double seconds, int steps, long labelTokens, double finalLoss) {}

    /**
     * A knowledge probe of a base model: the raw text {@code "<reference> <first half>"} continued greedily, scored
     * against the rest of the verse.
     *
     * @param model S, M or L
     * @param tokenF1 mean token F1 of the continuation (cut at the verse's length in words)
     * @param meanLoss mean cross-entropy per token of the held-out verses' pre-training lines, in nats
     */
    public record Probe(String model, double tokenF1, double meanLoss) {}

    /**
     * One evaluated configuration.
     *
     * @param key a short stable name, e.g. {@code L+value-l1}
     * @param label the table's row label
     * @param exactMatch share of answers whose continuation is exactly the expected one
     * @param tokenF1 mean token F1 of the continuations
     * @param formatCompliance share of answers that start with the answer prefix and end with EOS
     * @param answers the number of answers scored
     */
    public record Row(String key, String label, double exactMatch, double tokenF1, double formatCompliance,
            int answers) {}

    /**
     * @param key a row key
     * @return that row
     * @throws IllegalArgumentException if there is none
     */
    public Row row(String key) {
        return rows.stream().filter(r -> r.key().equals(key)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no row " + key));
    }
}
