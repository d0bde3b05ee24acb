package dev.ivl.examples.bench;

import com.google.gson.GsonBuilder;
import dev.ivl.core.IllegalParameterException;
import dev.ivl.core.sample.GreedySampler;
import dev.ivl.djl.llama.LlamaConfig;
import dev.ivl.djl.llama.LlamaModel;
import dev.ivl.djl.llama.LlamaSession;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Collectors;

/**
 * Measures LLaMA decoding in one run: prefill throughput, decode latency per token, and the matrix products of a
 * decode step alone ({@link MatmulFloor}), whose ratio says how close decoding comes to the memory-bandwidth floor.
 *
 * <p>Each repetition opens a session, feeds the prompt in one {@code append} (prefill), appends
 * {@code newTokens} tokens one at a time, each the argmax of the previous logits (decode; only the {@code append}
 * calls are timed), then runs {@code newTokens} floor steps with {@code linear} products and as many with row-block
 * products ({@link MatmulFloor.Product}). The repetitions interleave the measurements, so that drifts of the
 * machine touch all of them alike; warm-up repetitions run first and are not counted. Figures are medians over the
 * repetitions of each repetition's mean.
 */
public final class DecodeBench {
    private DecodeBench() {}

    /**
     * What to run.
     *
     * @param promptTokens prompt length, &ge; 1
     * @param newTokens decode steps per repetition, &ge; 1 (also the floor steps)
     * @param repetitions counted repetitions, &ge; 1
     * @param warmups repetitions run first and not counted, &ge; 0
     * @param seed the seed of the prompt's token ids
     * @param redoDisturbed run a repetition again, in place of the one just run, when other processes used more
     *     than {@link Result#DISTURBED_CORES} cores during it; at most {@code 2 × repetitions} times in a run
     */
    public record Settings(int promptTokens, int newTokens, int repetitions, int warmups, long seed,
            boolean redoDisturbed) {
        /** Validates the settings. */
        public Settings {
            atLeast("prompt tokens", promptTokens, 1);
            atLeast("new tokens", newTokens, 1);
            atLeast("repetitions", repetitions, 1);
            atLeast("warm-up repetitions", warmups, 0);
        }

        private static void atLeast(String name, int value, int min) {
            if (value < min) {
                throw new IllegalParameterException(name, value, "must be >= " + min);
            }
        }
    }

    /**
     * Median, minimum and maximum of the repetitions' figures.
     *
     * @param median the median (the mean of the middle two for an even count)
     * @param min the smallest
     * @param max the largest
     */
    public record Summary(double median, double min, double max) {
        static Summary of(double[] values) {
            double[] sorted = values.clone();
            Arrays.sort(sorted);
            int n = sorted.length;
            double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
            return new Summary(median, sorted[0], sorted[n - 1]);
        }
    }

    /**
     * The outcome of a run.
     *
     * @param machine what it ran on
     * @param source where the weights came from, for the report
     * @param config the model's shape
     * @param device the device
     * @param dtype the weights' and the activations' dtypes, e.g. {@code weights float16, activations float32}
     * @param settings what ran
     * @param floorProducts matrix products per floor step
     * @param floorWeightBytes bytes of weights per floor step
     * @param prefillTokensPerSecond prompt tokens per second, per repetition
     * @param decodeMillisPerToken mean decode milliseconds per token, per repetition
     * @param linearFloorMillis mean floor milliseconds per step with {@code linear} products, per repetition
     * @param rowBlockFloorMillis mean floor milliseconds per step with row-block products, per repetition
     * @param kernelFloorMillis mean floor milliseconds per step with Java's products ({@link MatmulFloor.Product#KERNEL}),
     *     per repetition; null where the floor has no such products
     * @param foreignCores the mean number of cores other processes kept busy, per repetition (NaN if unknown)
     * @param redone how many disturbed repetitions were run again and left out
     */
    public record Result(Machine machine, String source, LlamaConfig config, String device, String dtype,
            Settings settings, int floorProducts, long floorWeightBytes, double[] prefillTokensPerSecond,
            double[] decodeMillisPerToken, double[] linearFloorMillis, double[] rowBlockFloorMillis,
            double[] kernelFloorMillis, double[] foreignCores, int redone) {
        /** Other processes using more than this many cores during a repetition disturbed it. */
        public static final double DISTURBED_CORES = 0.2;

        /** @return prefill throughput over the repetitions */
        public Summary prefill() {
            return Summary.of(prefillTokensPerSecond);
        }

        /** @return decode latency over the repetitions */
        public Summary decode() {
            return Summary.of(decodeMillisPerToken);
        }

        /** @return the floor with {@code linear} products over the repetitions */
        public Summary linearFloor() {
            return Summary.of(linearFloorMillis);
        }

        /** @return the floor with row-block products over the repetitions */
        public Summary rowBlockFloor() {
            return Summary.of(rowBlockFloorMillis);
        }

        /** @return the floor with Java's products over the repetitions, if measured */
        public java.util.Optional<Summary> kernelFloor() {
            return java.util.Optional.ofNullable(kernelFloorMillis).map(Summary::of);
        }

        /** @return median decode time over the median {@code linear} floor */
        public double decodeOverLinearFloor() {
            return decode().median() / linearFloor().median();
        }

        /** @return median decode time over the median floor with Java's products, if measured */
        public java.util.Optional<Double> decodeOverKernelFloor() {
            return kernelFloor().map(k -> decode().median() / k.median());
        }

        /** @return median decode time over the median row-block floor */
        public double decodeOverRowBlockFloor() {
            return decode().median() / rowBlockFloor().median();
        }

        /** @return how many repetitions other processes disturbed (see {@link #DISTURBED_CORES}) */
        public long disturbedRepetitions() {
            return Arrays.stream(foreignCores).filter(c -> c > DISTURBED_CORES).count();
        }

        private double gigabytesPerSecond(Summary floor) {
            return floorWeightBytes / (floor.median() * 1e6);
        }

        /** @return the report as a JSON object */
        public String toJson() {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("machine", machine);
            Map<String, Object> model = new LinkedHashMap<>();
            model.put("source", source);
            model.put("layers", config.numHiddenLayers());
            model.put("hidden", config.hiddenSize());
            model.put("heads", config.numAttentionHeads());
            model.put("kvHeads", config.numKeyValueHeads());
            model.put("ffn", config.intermediateSize());
            model.put("vocab", config.vocabSize());
            model.put("device", device);
            model.put("dtype", dtype);
            json.put("model", model);
            json.put("settings", settings);
            json.put("prefillTokensPerSecond", figures(prefill(), prefillTokensPerSecond));
            json.put("decodeMillisPerToken", figures(decode(), decodeMillisPerToken));
            json.put("linearFloorMillisPerStep", figures(linearFloor(), linearFloorMillis));
            json.put("rowBlockFloorMillisPerStep", figures(rowBlockFloor(), rowBlockFloorMillis));
            kernelFloor().ifPresent(k -> json.put("kernelFloorMillisPerStep", figures(k, kernelFloorMillis)));
            json.put("foreignCoresPerRepetition", Arrays.stream(foreignCores).mapToObj(c -> Double.isNaN(c) ? null : c)
                    .toArray());
            json.put("redoneRepetitions", redone);
            json.put("floorProducts", floorProducts);
            json.put("floorWeightBytes", floorWeightBytes);
            json.put("linearFloorGigabytesPerSecond", gigabytesPerSecond(linearFloor()));
            json.put("rowBlockFloorGigabytesPerSecond", gigabytesPerSecond(rowBlockFloor()));
            json.put("decodeOverLinearFloor", decodeOverLinearFloor());
            json.put("decodeOverRowBlockFloor", decodeOverRowBlockFloor());
            kernelFloor().ifPresent(k -> json.put("kernelFloorGigabytesPerSecond", gigabytesPerSecond(k)));
            decodeOverKernelFloor().ifPresent(r -> json.put("decodeOverKernelFloor", r));
            return new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(json);
        }

        private static Map<String, Object> figures(Summary s, double[] perRepetition) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("median", s.median());
            m.put("min", s.min());
            m.put("max", s.max());
            m.put("perRepetition", perRepetition);
            return m;
        }

        /** @return the report as aligned text */
        public String toText() {
            StringBuilder b = new StringBuilder();
            line(b, "machine", "%d cores, %s, %s", machine.cores(), machine.cpuModel(), machine.os());
            line(b, "jvm", "%s, max heap %.1f GiB", machine.jvm(), machine.maxHeapBytes() / (double) (1L << 30));
            line(b, "engine", "PyTorch %s (DJL %s), intra-op threads %d, inter-op threads %d",
                    machine.engineVersion(), machine.djlVersion(), machine.intraOpThreads(),
                    machine.interOpThreads());
            line(b, "model", "%s", source);
            line(b, "shape", "%d layers, hidden %d, heads %d (kv %d), ffn %d, vocab %d", config.numHiddenLayers(),
                    config.hiddenSize(), config.numAttentionHeads(), config.numKeyValueHeads(),
                    config.intermediateSize(), config.vocabSize());
            line(b, "compute", "%s, %s; floor: %d matrix products reading %.3f GB per step", device, dtype,
                    floorProducts, floorWeightBytes / 1e9);
            line(b, "run", "prompt %d tokens, %d new tokens, %d repetitions after %d warm-up, interleaved",
                    settings.promptTokens(), settings.newTokens(), settings.repetitions(), settings.warmups());
            if (settings.redoDisturbed()) {
                line(b, "", "%d repetitions disturbed by other processes (> %.1f core) were run again and left out",
                        redone, DISTURBED_CORES);
            }
            b.append('\n');
            b.append(String.format(Locale.ROOT, "%-32s %10s %10s %10s %8s%n", "", "median", "min", "max", "GB/s"));
            row(b, "prefill [tokens/s]", prefill(), "");
            row(b, "decode [ms/token]", decode(), String.format(Locale.ROOT, "%8.2f", gigabytesPerSecond(decode())));
            row(b, "floor, linear [ms/step]", linearFloor(),
                    String.format(Locale.ROOT, "%8.2f", gigabytesPerSecond(linearFloor())));
            row(b, "floor, row blocks [ms/step]", rowBlockFloor(),
                    String.format(Locale.ROOT, "%8.2f", gigabytesPerSecond(rowBlockFloor())));
            kernelFloor().ifPresent(k -> row(b, "floor, Java kernel [ms/step]", k,
                    String.format(Locale.ROOT, "%8.2f", gigabytesPerSecond(k))));
            b.append(String.format(Locale.ROOT, "%-32s %10.3f%n", "decode / floor (linear)", decodeOverLinearFloor()));
            b.append(String.format(Locale.ROOT, "%-32s %10.3f%n", "decode / floor (row blocks)",
                    decodeOverRowBlockFloor()));
            decodeOverKernelFloor().ifPresent(r -> b.append(String.format(Locale.ROOT, "%-32s %10.3f%n",
                    "decode / floor (Java kernel)", r)));
            if (disturbedRepetitions() > 0) {
                b.append(String.format(Locale.ROOT, "warning: other processes used more than %.1f core during %d of"
                        + " %d repetitions (per repetition: %s cores); the medians may be off%n", DISTURBED_CORES,
                        disturbedRepetitions(), foreignCores.length, Arrays.stream(foreignCores)
                                .mapToObj(c -> String.format(Locale.ROOT, "%.2f", c))
                                .collect(Collectors.joining(", "))));
            }
            return b.toString();
        }

        private static void line(StringBuilder b, String label, String format, Object... args) {
            b.append(String.format(Locale.ROOT, "%-9s %s%n", label.isEmpty() ? "" : label + ":",
                    String.format(Locale.ROOT, format, args)));
        }

        private static void row(StringBuilder b, String label, Summary s, String extra) {
            b.append(String.format(Locale.ROOT, "%-32s %10.2f %10.2f %10.2f %s%n", label, s.median(), s.min(),
                    s.max(), extra));
        }
    }

    /**
     * Runs the benchmark.
     *
     * @param model the model to decode with
     * @param floor the same model's matrix products
     * @param settings what to run
     * @param source where the weights came from, for the report
     * @return the figures
     * @throws IllegalParameterException if prompt and new tokens exceed the model's context
     */
    public static Result run(LlamaModel model, MatmulFloor floor, Settings settings, String source) {
        if (settings.promptTokens() + settings.newTokens() > model.maxSequenceLength()) {
            throw new IllegalParameterException("prompt tokens + new tokens",
                    settings.promptTokens() + settings.newTokens(),
                    "must fit the model's context of " + model.maxSequenceLength());
        }
        int[] prompt = new SplittableRandom(settings.seed()).ints(settings.promptTokens(), 0, model.vocabSize())
                .toArray();
        int n = settings.repetitions();
        double[] prefill = new double[n];
        double[] decode = new double[n];
        double[] linearFloor = new double[n];
        double[] rowBlockFloor = new double[n];
        double[] kernelFloor = floor.hasKernel() ? new double[n] : null;
        double[] foreign = new double[n];
        int redone = 0;
        for (int r = -settings.warmups(); r < n; r++) {
            ForeignLoad load = ForeignLoad.start();
            long prefillNanos;
            long decodeNanos = 0;
            try (LlamaSession session = model.newSession()) {
                long start = System.nanoTime();
                float[] logits = session.append(prompt);
                prefillNanos = System.nanoTime() - start;
                for (int i = 0; i < settings.newTokens(); i++) {
                    int next = GreedySampler.argmax(logits);
                    start = System.nanoTime();
                    logits = session.append(next);
                    decodeNanos += System.nanoTime() - start;
                }
            }
            long linearNanos = 0;
            long rowBlockNanos = 0;
            for (int i = 0; i < settings.newTokens(); i++) {
                linearNanos += floor.step(MatmulFloor.Product.LINEAR);
            }
            for (int i = 0; i < settings.newTokens(); i++) {
                rowBlockNanos += floor.step(MatmulFloor.Product.ROW_BLOCKS);
            }
            long kernelNanos = 0;
            for (int i = 0; kernelFloor != null && i < settings.newTokens(); i++) {
                kernelNanos += floor.step(MatmulFloor.Product.KERNEL);
            }
            double others = load.cores();
            if (r >= 0 && settings.redoDisturbed() && others > Result.DISTURBED_CORES && redone < 2 * n) {
                redone++;
                r--; // run this repetition again
            } else if (r >= 0) {
                prefill[r] = settings.promptTokens() / (prefillNanos / 1e9);
                decode[r] = decodeNanos / 1e6 / settings.newTokens();
                linearFloor[r] = linearNanos / 1e6 / settings.newTokens();
                rowBlockFloor[r] = rowBlockNanos / 1e6 / settings.newTokens();
                if (kernelFloor != null) {
                    kernelFloor[r] = kernelNanos / 1e6 / settings.newTokens();
                }
                foreign[r] = others;
            }
        }
        return new Result(Machine.detect(), source, model.config(), model.options().device(),
                "weights " + model.dtype().toString().toLowerCase(Locale.ROOT) + ", activations "
                        + model.computeDtype().toString().toLowerCase(Locale.ROOT), settings, floor.products(), floor.weightBytes(),
                prefill, decode, linearFloor, rowBlockFloor, kernelFloor, foreign, redone);
    }
}
