package dev.ivl.examples.experiment;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** Writes an experiment's results: {@code results.json}, {@code results.md} and the bar chart {@code chart.png}. */
public final class ResultsReport {
    /** The chart's size in pixels. */
    public static final int CHART_WIDTH = 900;
    /** The chart's height in pixels. */
    public static final int CHART_HEIGHT = 560;

    private ResultsReport() {}

    /**
     * @param results the results
     * @param dir the run folder
     */
    public static void write(ExperimentResults results, Path dir) {
        Experiment.write(dir.resolve("results.json"), Experiment.gson().toJson(results) + "\n");
        Experiment.write(dir.resolve("results.md"), markdown(results));
        chart(results).writePng(dir.resolve("chart.png"), CHART_WIDTH, CHART_HEIGHT);
    }

    /**
     * @param results the results
     * @return the configurations' exact match, token F1 and format compliance as a bar chart
     */
    public static BarChart chart(ExperimentResults results) {
        List<ExperimentResults.Row> rows = results.rows();
        double[][] values = new double[rows.size()][];
        for (int i = 0; i < rows.size(); i++) {
            ExperimentResults.Row r = rows.get(i);
            values[i] = new double[] {r.exactMatch(), r.tokenF1(), r.formatCompliance()};
        }
        return new BarChart("ivl experiment (" + results.config().scale() + ", seed " + results.config().seed()
                + "): held-out verse continuation, " + rows.get(0).answers() + " answers each",
                rows.stream().map(ExperimentResults.Row::label).toList(),
                List.of("exact match", "token F1", "format compliance"), values);
    }

    /**
     * @param results the results
     * @return the report: the configuration table (as the paper's Table 1), the transfer's share of the fine-tuning
     *     gain, the knowledge probes, the models, the stages' times and the command
     */
    public static String markdown(ExperimentResults results) {
        ExperimentConfig c = results.config();
        StringBuilder md = new StringBuilder();
        md.append("# ivl experiment: ").append(c.scale()).append(" scale, seed ").append(c.seed()).append("\n\n");
        md.append("Command: `").append(results.command()).append("`  \n");
        md.append("Machine: ").append(results.machine()).append("  \n");
        md.append(String.format(Locale.ROOT, "Wall time: %.0f s. Held-out answers per row: %d (greedy, at most %d new"
                + " tokens); %d training demonstrations; %d pre-training samples (first %d chapters).%n%n",
                results.totalSeconds(), results.demonstrations().eval(), c.maxNewTokens(),
                results.demonstrations().train(), results.demonstrations().pretrainSamples(), c.chapters()));
        md.append("| configuration | exact match | token F1 | format compliance |\n|---|---:|---:|---:|\n");
        for (ExperimentResults.Row r : results.rows()) {
            md.append(String.format(Locale.ROOT, "| %s | %.3f | %.3f | %.3f |%n", r.label(), r.exactMatch(),
                    r.tokenF1(), r.formatCompliance()));
        }
        md.append("\nShare of L's full fine-tuning gain in token F1 kept by each way of post-training L without"
                + " training it, (F1 − F1(L)) / (F1(L full fine-tune) − F1(L)):\n\n");
        double base = results.row("L").tokenF1();
        double gain = results.row("L-ft").tokenF1() - base;
        for (String key : List.of("L+value-l0", "L+value-l1", "L+value-curriculum", "L+proxy")) {
            ExperimentResults.Row r = results.row(key);
            md.append(String.format(Locale.ROOT, "- %s: %s%n", r.label(), gain > 0
                    ? String.format(Locale.ROOT, "%.0f%%", 100 * (r.tokenF1() - base) / gain)
                    : "undefined (fine-tuning did not improve L)"));
        }
        md.append("\nKnowledge of the held-out verses before post-training (raw text `<reference> <first half>`"
                + " continued greedily; mean cross-entropy of the verse lines):\n\n");
        md.append("| base | continuation token F1 | held-out loss (nats/token) |\n|---|---:|---:|\n");
        for (ExperimentResults.Probe p : results.probes()) {
            md.append(String.format(Locale.ROOT, "| %s | %.3f | %.3f |%n", p.model(), p.tokenF1(), p.meanLoss()));
        }
        md.append("\nModels (Llama-2 tokenizer, 32,000 tokens, tied embeddings, 32-wide heads):\n\n");
        md.append("| base | shape | parameters |\n|---|---|---:|\n");
        for (ExperimentResults.Model m : results.models()) {
            md.append(String.format(Locale.ROOT, "| %s | %s | %,d |%n", m.name(), m.shape(), m.parameters()));
        }
        md.append(String.format(Locale.ROOT, "%nTraining: pre-training %d epochs at peak lr %.0e; post-training %d"
                + " epochs at peak lr %.0e; %d and %d tokens per step; AdamW, cosine schedule.%n%n", c.pretrainEpochs(),
                c.pretrainLr(), c.postEpochs(), c.postLr(), c.pretrainBatchTokens(), c.postBatchTokens()));
        md.append("| stage | wall time (s) | steps | label tokens | final loss |\n|---|---:|---:|---:|---:|\n");
        for (ExperimentResults.Stage s : results.stages()) {
            md.append(String.format(Locale.ROOT, "| %s | %.1f | %s | %s | %s |%n", s.name(), s.seconds(),
                    s.steps() == 0 ? "" : Integer.toString(s.steps()),
                    s.labelTokens() == 0 ? "" : String.format(Locale.ROOT, "%,d", s.labelTokens()),
                    Double.isNaN(s.finalLoss()) ? "" : String.format(Locale.ROOT, "%.3f", s.finalLoss())));
        }
        md.append("\n![chart](chart.png)\n");
        return md.toString();
    }
}
