package dev.ivl.examples.bench;

import dev.ivl.core.generate.CancellationToken;
import dev.ivl.core.generate.GenerationConfig;
import dev.ivl.core.generate.GenerationResult;
import dev.ivl.core.generate.Generator;
import dev.ivl.core.generate.Speculation;
import dev.ivl.core.generate.SpeculationStats;
import dev.ivl.core.generate.TokenListener;
import dev.ivl.core.model.LanguageModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Speculative decoding measured: plain decoding with the target against decoding with the draft at several k, greedy
 * and sampled, each over the same prompts, interleaved in every repetition. A mode's speed is its generated tokens
 * over the wall time of its generations (prefills included: the draft's prompt is extra work of speculation).
 */
public final class SpeculationBench {
    private SpeculationBench() {}

    /**
     * One way of decoding.
     *
     * @param temperature 0 for greedy
     * @param draftTokens k, or 0 for plain decoding with the target
     */
    public record Mode(float temperature, int draftTokens) {
        String label() {
            return (temperature == 0 ? "greedy" : "T=" + temperature) + ", "
                    + (draftTokens == 0 ? "plain" : "k=" + draftTokens);
        }
    }

    /**
     * The figures of one mode.
     *
     * @param mode the mode
     * @param tokensPerSecond per repetition
     * @param tokens the tokens generated in the last repetition
     * @param stats the speculation's counts summed over the last repetition's prompts, null for plain decoding
     */
    public record Row(Mode mode, double[] tokensPerSecond, int tokens, SpeculationStats stats) {}

    /**
     * @param rows one per mode, plain ones first within each temperature
     * @param prompts the prompts per repetition
     * @param newTokens the most tokens per prompt
     */
    public record Result(List<Row> rows, int prompts, int newTokens) {
        /** @return the report as a Markdown table */
        public String toText() {
            StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "%d prompts, up to %d new tokens each,"
                    + " %d repetitions (medians)%n%n", prompts, newTokens, rows.get(0).tokensPerSecond().length));
            out.append("| decoding | tokens/s | speed-up over plain | accepted / drafted | tokens per round |\n");
            out.append("| --- | --- | --- | --- | --- |\n");
            double plain = 0;
            for (Row r : rows) {
                double speed = DecodeBench.Summary.of(r.tokensPerSecond()).median();
                if (r.mode().draftTokens() == 0) {
                    plain = speed;
                }
                SpeculationStats s = r.stats();
                out.append(String.format(Locale.ROOT, "| %s | %.1f | %s | %s | %s |%n", r.mode().label(), speed,
                        r.mode().draftTokens() == 0 ? "1" : String.format(Locale.ROOT, "**%.2f×**", speed / plain),
                        s == null ? "" : String.format(Locale.ROOT, "%d / %d (%.0f %%)", s.accepted(), s.drafted(),
                                100 * s.acceptanceRate()),
                        s == null ? "1" : String.format(Locale.ROOT, "%.2f", (double) r.tokens() / s.rounds())));
            }
            return out.toString();
        }
    }

    /**
     * @param target the model whose output is wanted
     * @param draft the draft, in the target's vocabulary
     * @param prompts the prompts
     * @param config the decoding of every mode but its temperature (greedy for 0) and seed
     * @param draftTokens the k to measure
     * @param temperatures the temperatures to measure (0 = greedy)
     * @param repetitions measured repetitions, after one uncounted warm-up
     * @return the figures
     */
    public static Result run(LanguageModel target, LanguageModel draft, List<int[]> prompts, GenerationConfig config,
            List<Integer> draftTokens, List<Float> temperatures, int repetitions) {
        List<Mode> modes = new ArrayList<>();
        for (float t : temperatures) {
            modes.add(new Mode(t, 0));
            draftTokens.forEach(k -> modes.add(new Mode(t, k)));
        }
        Generator plain = new Generator(target);
        double[][] speed = new double[modes.size()][repetitions];
        int[] tokens = new int[modes.size()];
        SpeculationStats[] stats = new SpeculationStats[modes.size()];
        for (int rep = -1; rep < repetitions; rep++) {
            for (int m = 0; m < modes.size(); m++) {
                Mode mode = modes.get(m);
                Generator g = mode.draftTokens() == 0 ? plain
                        : plain.withDraft(draft, Speculation.of(mode.draftTokens()));
                int made = 0;
                int rounds = 0;
                int drafted = 0;
                int accepted = 0;
                long start = System.nanoTime();
                for (int p = 0; p < prompts.size(); p++) {
                    GenerationConfig c = config.toBuilder().temperature(mode.temperature()).seed(1000L * rep + p)
                            .build();
                    GenerationResult r = g.generate(prompts.get(p), c, TokenListener.NONE, new CancellationToken());
                    made += r.tokens().length;
                    if (r.speculation().isPresent()) {
                        SpeculationStats s = r.speculation().get();
                        rounds += s.rounds();
                        drafted += s.drafted();
                        accepted += s.accepted();
                    }
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                if (rep >= 0) {
                    speed[m][rep] = made / seconds;
                    tokens[m] = made;
                    stats[m] = mode.draftTokens() == 0 ? null : new SpeculationStats(rounds, drafted, accepted);
                }
            }
        }
        List<Row> rows = new ArrayList<>();
        for (int m = 0; m < modes.size(); m++) {
            rows.add(new Row(modes.get(m), speed[m], tokens[m], stats[m]));
        }
        return new Result(rows, prompts.size(), config.maxNewTokens());
    }
}
