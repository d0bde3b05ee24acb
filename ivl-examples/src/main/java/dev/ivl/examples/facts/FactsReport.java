package dev.ivl.examples.facts;

import dev.ivl.examples.experiment.BarChart;
import dev.ivl.examples.experiment.Statistics;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The facts study's report: each configuration's scores as mean ± sd over the post-training seeds, the knowledge
 * probe of the bases, and the paper's key comparisons with paired bootstrap intervals (test questions resampled,
 * each with all its seeds) and McNemar's test for format compliance.
 */
public final class FactsReport {
    private FactsReport() {}

    /** The comparisons the paper makes, as pairs of configuration names (first minus second). */
    static final List<String[]> COMPARISONS = List.of(
            new String[] {"L+v(1)", "L", "transfer: L + value (λ=1) vs L alone"},
            new String[] {"L+v(1)", "L+v(0)", "norm term: λ=1 vs λ=0, transferred to L"},
            new String[] {"L+curriculum", "L+v(1)", "curriculum S→M vs S alone (λ=1), transferred to L"},
            new String[] {"L+curriculum(0)", "L+v(0)", "curriculum S→M vs S alone (λ=0), transferred to L"},
            new String[] {"L+v(0)@2", "L+v(0)", "α=2 vs α=1 (λ=0), on L"},
            new String[] {"L+v(1)", "L+proxy", "IVL (λ=1) vs proxy tuning on L"},
            new String[] {"L+cascade", "L+v(1)", "cascade vs residual, transferred to L"},
            new String[] {"Lcpt+v(1)", "L-cpt", "transfer to the continually pre-trained L"},
            new String[] {"L+v(1)", "L-ft", "transfer vs fully fine-tuning L"},
            new String[] {"L+v-other(0)", "L+v(0)", "a value model of another vocabulary (through a map) vs the same"
                    + " vocabulary, λ=0, on L"},
            new String[] {"L+v-other(0)", "L", "cross-vocabulary transfer vs L alone"});

    /**
     * @param evaluations every evaluation of a run
     * @param probes each base's share of test facts it completes right
     * @param config the scale
     * @return the report in Markdown
     */
    public static String markdown(List<FactsExperiment.Evaluation> evaluations, Map<String, Double> probes,
            FactsConfig config) {
        Map<String, List<FactsExperiment.Evaluation>> byName = byName(evaluations, false);
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "# Facts study (%s): %d people, %d test questions, seeds %s%n%n",
                config.scale(), config.people(), evaluations.get(0).scores().size(), config.seeds()));
        b.append("## Knowledge of the bases (test facts completed right, greedy)\n\n| base | share |\n|---|---|\n");
        probes.forEach((name, share) -> b.append(String.format(Locale.ROOT, "| %s | %.3f |%n", name, share)));
        b.append("\n## Every configuration (mean ± sd over seeds)\n\n| configuration | exact match | format | fact "
                + "| F1 (first n words) | NLL format | NLL fact |\n|---|---|---|---|---|---|---|\n");
        for (List<FactsExperiment.Evaluation> runs : byName.values()) {
            b.append("| ").append(runs.get(0).label());
            for (ToDoubleFunction<Scores> metric : metrics()) {
                double[] perSeed = runs.stream().mapToDouble(e -> e.scores().stream().mapToDouble(metric).average()
                        .orElse(Double.NaN)).toArray();
                b.append(" | ").append(Statistics.Summary.of(perSeed).format(3));
            }
            b.append(" |\n");
        }
        String chosen = chosen(evaluations);
        if (chosen != null) {
            b.append(String.format(Locale.ROOT, "%nλ and α chosen on the validation people (exact match of L + value,"
                    + " mean over seeds): **%s**; on the test people it scores %s.%n",
                    chosen, Statistics.Summary.of(byName.get(chosen).stream().mapToDouble(e -> e.scores().stream()
                            .mapToDouble(s -> s.exactMatch() ? 1 : 0).average().orElse(0)).toArray()).format(3)));
        }
        b.append("\n## Comparisons (exact match; paired bootstrap 95 % interval over test questions; McNemar on "
                + "format)\n\n| comparison | Δ exact match [95 % CI] | P(Δ ≤ 0) | format: b, c, McNemar p |\n"
                + "|---|---|---|---|\n");
        for (String[] c : COMPARISONS) {
            List<FactsExperiment.Evaluation> a = byName.get(c[0]);
            List<FactsExperiment.Evaluation> z = byName.get(c[1]);
            if (a == null || z == null) {
                continue;
            }
            double[] ea = perItem(a, s -> s.exactMatch() ? 1 : 0);
            double[] ez = perItem(z, s -> s.exactMatch() ? 1 : 0);
            Statistics.PairedBootstrap boot = Statistics.pairedBootstrap(ea, ez, 17);
            Statistics.McNemar m = Statistics.mcNemar(majority(a), majority(z));
            b.append(String.format(Locale.ROOT, "| %s | %s | %.3f | %d, %d, %.3g |%n", c[2], boot.format(3),
                    boot.fractionAtMostZero(), m.b(), m.c(), m.p()));
        }
        return b.toString();
    }

    /**
     * @param evaluations every evaluation of a run
     * @param validation true for the evaluations on the validation people, false for the reported ones
     * @return those evaluations, grouped by configuration name in the order they first appear
     */
    private static Map<String, List<FactsExperiment.Evaluation>> byName(List<FactsExperiment.Evaluation> evaluations,
            boolean validation) {
        Map<String, List<FactsExperiment.Evaluation>> byName = new LinkedHashMap<>();
        for (FactsExperiment.Evaluation e : evaluations) {
            if (e.name().startsWith(FactsExperiment.VALIDATION) == validation) {
                byName.computeIfAbsent(e.name(), k -> new ArrayList<>()).add(e);
            }
        }
        return byName;
    }

    /**
     * @param evaluations every evaluation of a run
     * @return the name of the test configuration whose exact match on the validation people is highest (the first
     *     on a tie), or null without validation evaluations
     */
    public static String chosen(List<FactsExperiment.Evaluation> evaluations) {
        String best = null;
        double bestScore = -1;
        for (Map.Entry<String, List<FactsExperiment.Evaluation>> e : byName(evaluations, true).entrySet()) {
            double score = Statistics.meanOf(perItem(e.getValue(), s -> s.exactMatch() ? 1 : 0));
            if (score > bestScore) {
                best = e.getKey().substring(FactsExperiment.VALIDATION.length());
                bestScore = score;
            }
        }
        return best;
    }

    /**
     * @param evaluations every evaluation of a run
     * @return exact match, format and fact of each reported configuration (mean over seeds) as a bar chart
     */
    public static BarChart chart(List<FactsExperiment.Evaluation> evaluations) {
        Map<String, List<FactsExperiment.Evaluation>> byName = byName(evaluations, false);
        List<ToDoubleFunction<Scores>> shown = List.of(s -> s.exactMatch() ? 1 : 0, s -> s.format() ? 1 : 0,
                s -> s.factFound() ? 1 : 0);
        double[][] values = new double[byName.size()][];
        List<String> labels = new ArrayList<>();
        int i = 0;
        for (List<FactsExperiment.Evaluation> runs : byName.values()) {
            labels.add(runs.get(0).label());
            values[i] = new double[shown.size()];
            for (int j = 0; j < shown.size(); j++) {
                values[i][j] = Statistics.meanOf(perItem(runs, shown.get(j)));
            }
            i++;
        }
        return new BarChart("ivl experiment --task facts: " + evaluations.get(0).scores().size()
                + " test questions, mean over seeds", labels, List.of("exact match", "format", "fact"), values);
    }

    private static List<ToDoubleFunction<Scores>> metrics() {
        return List.of(s -> s.exactMatch() ? 1 : 0, s -> s.format() ? 1 : 0, s -> s.factFound() ? 1 : 0,
                Scores::f1, Scores::formatNll, Scores::knowledgeNll);
    }

    /** Each question's score averaged over the seeds (a configuration without seeds has one run). */
    private static double[] perItem(List<FactsExperiment.Evaluation> runs, ToDoubleFunction<Scores> metric) {
        double[][] bySeed = runs.stream().map(e -> e.scores().stream().mapToDouble(metric).toArray())
                .toArray(double[][]::new);
        return Statistics.meanOverSeeds(bySeed);
    }

    /** Each question's format compliance in most seeds. */
    private static boolean[] majority(List<FactsExperiment.Evaluation> runs) {
        double[] share = perItem(runs, s -> s.format() ? 1 : 0);
        boolean[] out = new boolean[share.length];
        for (int i = 0; i < share.length; i++) {
            out[i] = share[i] > 0.5;
        }
        return out;
    }
}
