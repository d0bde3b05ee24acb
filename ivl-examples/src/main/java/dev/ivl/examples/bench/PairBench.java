package dev.ivl.examples.bench;

import com.google.gson.GsonBuilder;
import dev.ivl.core.IllegalParameterException;
import dev.ivl.core.combine.CombinedModel;
import dev.ivl.core.combine.ResidualCombiner;
import dev.ivl.core.combine.Stepping;
import dev.ivl.core.model.LanguageModel;
import dev.ivl.core.model.Session;
import dev.ivl.core.sample.GreedySampler;
import dev.ivl.djl.llama.LlamaCombinedModel;
import dev.ivl.djl.llama.LlamaConfig;
import dev.ivl.djl.llama.LlamaModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Measures combined decoding in one run: the base model alone, the value model alone, both combined one after the
 * other ({@link Stepping#SEQUENTIAL}) and both at the same time ({@link Stepping#CONCURRENT}), the latter both as
 * {@link LlamaCombinedModel} and as the engine-free {@link CombinedModel} runs it. Each repetition runs the modes in
 * turn (interleaved), each with a fresh session: the prompt in one {@code append} (prefill), then
 * {@code newTokens} greedy tokens one {@code append} at a time (decode; only the appends are timed). Figures are
 * medians over the repetitions. The ratios R = combined / base alone, for each stepping, say what the value model
 * costs.
 */
public final class PairBench {
    private PairBench() {}

    /** The ways of decoding, in the order each repetition runs them. */
    public enum Mode {
        /** The base model alone. */
        BASE,
        /** The value model alone. */
        VALUE,
        /** Base and value one after the other, combined on the device ({@link LlamaCombinedModel}). */
        SEQUENTIAL,
        /** Base and value at the same time sharing row blocks, combined on the device ({@link LlamaCombinedModel}). */
        CONCURRENT,
        /**
         * Base and value at the same time as the engine-free {@link CombinedModel} runs them: each model on its own
         * thread with the engine's intra-op threads, combined on the host.
         */
        CONCURRENT_ENGINE_FREE
    }

    /**
     * The outcome of a run.
     *
     * @param machine what it ran on
     * @param base the base model's shape
     * @param value the value model's shape
     * @param settings what ran
     * @param stepThreads the thread budget of a {@link Mode#CONCURRENT} step
     * @param decodeMillis per mode, the mean decode milliseconds per token of each repetition
     * @param prefillMillis per mode, the prefill milliseconds of each repetition
     * @param memory resident memory: before loading, after loading both models, and the peak after decoding, in MB
     * @param combine where the two logits rows are best combined: on the host or on the models' device
     */
    public record Result(Machine machine, LlamaConfig base, LlamaConfig value, DecodeBench.Settings settings,
            int stepThreads, Map<Mode, double[]> decodeMillis, Map<Mode, double[]> prefillMillis, Memory memory,
            Combine combine) {
        /** @return the median decode time per token of a mode */
        public double decode(Mode mode) {
            return DecodeBench.Summary.of(decodeMillis.get(mode)).median();
        }

        /** @return the median prefill time of a mode */
        public double prefill(Mode mode) {
            return DecodeBench.Summary.of(prefillMillis.get(mode)).median();
        }

        /** @return R: concurrent combined decoding over the base alone */
        public double ratio() {
            return decode(Mode.CONCURRENT) / decode(Mode.BASE);
        }

        /** @return R for sequential stepping: sequential combined decoding over the base alone */
        public double sequentialRatio() {
            return decode(Mode.SEQUENTIAL) / decode(Mode.BASE);
        }

        /** @return the value model's matrix-product FLOPs per token over the base's */
        public double flopRatio() {
            return flopsPerToken(value) / flopsPerToken(base);
        }

        /** @return the report as aligned text */
        public String toText() {
            StringBuilder b = new StringBuilder();
            b.append(String.format(Locale.ROOT, "machine:  %d cores, %s; intra-op threads %d; concurrent step threads"
                    + " %d%n", machine.cores(), machine.cpuModel(), machine.intraOpThreads(), stepThreads));
            b.append(String.format(Locale.ROOT, "base:     %s%nvalue:    %s%n", shape(base), shape(value)));
            b.append(String.format(Locale.ROOT, "run:      prompt %d, %d new tokens, %d repetitions after %d warm-up,"
                    + " interleaved%n%n", settings.promptTokens(), settings.newTokens(), settings.repetitions(),
                    settings.warmups()));
            b.append(String.format(Locale.ROOT, "%-24s %14s %12s%n", "", "decode ms/tok", "prefill ms"));
            for (Mode m : Mode.values()) {
                b.append(String.format(Locale.ROOT, "%-24s %14.2f %12.1f%n", label(m), decode(m), prefill(m)));
            }
            b.append(String.format(Locale.ROOT, "%nconcurrent / sequential  %.3f%n",
                    decode(Mode.CONCURRENT) / decode(Mode.SEQUENTIAL)));
            b.append(String.format(Locale.ROOT, "R = sequential / base    %.3f   (the default stepping on a CPU)%n",
                    sequentialRatio()));
            b.append(String.format(Locale.ROOT, "R = concurrent / base    %.3f   (the default on a GPU; value/base FLOPs"
                    + " per token %.3f; target R <= %.3f)%n", ratio(), flopRatio(), 1 + 1.1 * flopRatio()));
            b.append(String.format(Locale.ROOT, "memory MB: before load %.0f, models loaded %.0f, peak %.0f"
                    + " (decoding adds %.1f%% to the loaded models)%n", memory.beforeMb(), memory.loadedMb(),
                    memory.peakMb(), memory.decodingOverheadPercent()));
            b.append(String.format(Locale.ROOT, "combine one step's logits: on the host %.4f ms (two rows copied out,"
                    + " then added), on the device %.4f ms (added there, one row copied out)%n", combine.hostMillis(),
                    combine.deviceMillis()));
            return b.toString();
        }

        /** @return the report as JSON */
        public String toJson() {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("machine", machine);
            json.put("base", shape(base));
            json.put("value", shape(value));
            json.put("settings", settings);
            json.put("concurrentStepThreads", stepThreads);
            Map<String, Object> modes = new LinkedHashMap<>();
            for (Mode m : Mode.values()) {
                modes.put(label(m), Map.of("decodeMillisPerToken", decode(m),
                        "prefillMillis", prefill(m), "decodePerRepetition", decodeMillis.get(m)));
            }
            json.put("modes", modes);
            json.put("concurrentOverSequential", decode(Mode.CONCURRENT) / decode(Mode.SEQUENTIAL));
            json.put("ratioConcurrentOverBase", ratio());
            json.put("ratioSequentialOverBase", sequentialRatio());
            json.put("valueOverBaseFlops", flopRatio());
            json.put("memory", memory);
            json.put("combine", combine);
            return new GsonBuilder().setPrettyPrinting().create().toJson(json);
        }

        private static String label(Mode m) {
            return m.name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    /**
     * Resident memory in MB.
     *
     * @param beforeMb before the models were loaded
     * @param loadedMb with both models loaded
     * @param peakMb the process's peak, after all decoding
     */
    public record Memory(double beforeMb, double loadedMb, double peakMb) {
        /** @return what decoding added at its peak, in percent of the loaded models' memory */
        public double decodingOverheadPercent() {
            return 100 * (peakMb - loadedMb) / (loadedMb - beforeMb);
        }
    }

    /**
     * The cost of combining one step's logits {@code z_base + α·z_delta} where they are: copied out as two rows and
     * added on the host (what {@link CombinedModel} does), or added on the device and copied out as one row.
     *
     * @param hostMillis median milliseconds on the host, copies included
     * @param deviceMillis median milliseconds on the device, the copy of the result included
     */
    public record Combine(double hostMillis, double deviceMillis) {
        static Combine measure(LlamaModel base, int iterations) {
            int v = base.vocabSize();
            float[] out = new float[v];
            ResidualCombiner combiner = ResidualCombiner.withAlpha(1f);
            double[] host = new double[iterations];
            double[] device = new double[iterations];
            try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager(base.device(), "PyTorch")) {
                ai.djl.ndarray.NDArray zb = m.randomNormal(new ai.djl.ndarray.types.Shape(1, v));
                ai.djl.ndarray.NDArray zd = m.randomNormal(new ai.djl.ndarray.types.Shape(1, v));
                for (int i = -iterations; i < iterations; i++) {
                    long t0 = System.nanoTime();
                    combiner.combine(new float[][] {zb.toFloatArray(), zd.toFloatArray()}, out);
                    long t1 = System.nanoTime();
                    try (ai.djl.ndarray.NDArray sum = zb.add(zd)) {
                        sum.toFloatArray();
                    }
                    long t2 = System.nanoTime();
                    if (i >= 0) {
                        host[i] = (t1 - t0) / 1e6;
                        device[i] = (t2 - t1) / 1e6;
                    }
                }
            }
            return new Combine(DecodeBench.Summary.of(host).median(), DecodeBench.Summary.of(device).median());
        }
    }

    /**
     * Runs the benchmark.
     *
     * @param base the base model
     * @param value the value model, same vocabulary
     * @param settings what to run
     * @param stepThreads the thread budget of a {@link Mode#CONCURRENT} step
     * @param rssBeforeLoadMb resident memory before the models were loaded
     * @return the figures
     */
    public static Result run(LlamaModel base, LlamaModel value, DecodeBench.Settings settings, int stepThreads,
            double rssBeforeLoadMb) {
        int context = Math.min(base.maxSequenceLength(), value.maxSequenceLength());
        if (settings.promptTokens() + settings.newTokens() > context) {
            throw new IllegalParameterException("prompt tokens + new tokens",
                    settings.promptTokens() + settings.newTokens(), "must fit the models' context of " + context);
        }
        double loadedMb = status("VmRSS");
        CombinedModel host = ResidualCombiner.withAlpha(1f).combine(base, value);
        LlamaCombinedModel device = LlamaCombinedModel.of(host).withThreads(stepThreads);
        Map<Mode, LanguageModel> models = Map.of(Mode.BASE, base, Mode.VALUE, value, Mode.SEQUENTIAL, device,
                Mode.CONCURRENT, device.withStepping(Stepping.CONCURRENT),
                Mode.CONCURRENT_ENGINE_FREE, host.withStepping(Stepping.CONCURRENT));
        int[] prompt = new SplittableRandom(settings.seed()).ints(settings.promptTokens(), 0, base.vocabSize())
                .toArray();
        Map<Mode, double[]> decode = new LinkedHashMap<>();
        Map<Mode, double[]> prefill = new LinkedHashMap<>();
        for (Mode m : Mode.values()) {
            decode.put(m, new double[settings.repetitions()]);
            prefill.put(m, new double[settings.repetitions()]);
        }
        for (int r = -settings.warmups(); r < settings.repetitions(); r++) {
            for (Mode m : Mode.values()) {
                double[] times = decodeOnce(models.get(m), prompt, settings.newTokens());
                if (r >= 0) {
                    prefill.get(m)[r] = times[0];
                    decode.get(m)[r] = times[1];
                }
            }
        }
        Memory memory = new Memory(rssBeforeLoadMb, loadedMb, status("VmHWM"));
        return new Result(Machine.detect(), base.config(), value.config(), settings, stepThreads, decode, prefill, memory,
                Combine.measure(base, 2000));
    }

    /** @return {prefill ms, mean decode ms per token} */
    private static double[] decodeOnce(LanguageModel model, int[] prompt, int newTokens) {
        try (Session session = model.newSession()) {
            long start = System.nanoTime();
            float[] logits = session.append(prompt);
            double prefill = (System.nanoTime() - start) / 1e6;
            long decode = 0;
            for (int i = 0; i < newTokens; i++) {
                int next = GreedySampler.argmax(logits);
                start = System.nanoTime();
                logits = session.append(next);
                decode += System.nanoTime() - start;
            }
            return new double[] {prefill, decode / 1e6 / newTokens};
        }
    }

    /** Matrix-product FLOPs per decoded token: 2 per weight of every projection and the LM head. */
    static double flopsPerToken(LlamaConfig c) {
        long h = c.hiddenSize();
        long d = c.headDim();
        long perLayer = h * d * (c.numAttentionHeads() * 2L + c.numKeyValueHeads() * 2L) + 3L * h * c.intermediateSize();
        return 2.0 * (c.numHiddenLayers() * perLayer + h * c.vocabSize());
    }

    private static String shape(LlamaConfig c) {
        return String.format(Locale.ROOT, "%d layers, hidden %d, heads %d (kv %d), ffn %d, vocab %d",
                c.numHiddenLayers(), c.hiddenSize(), c.numAttentionHeads(), c.numKeyValueHeads(),
                c.intermediateSize(), c.vocabSize());
    }

    /**
     * @param field a {@code /proc/self/status} field in kB, e.g. {@code VmRSS} or {@code VmHWM}
     * @return its value in MB
     */
    public static double status(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(field + ":")) {
                    return Long.parseLong(line.replaceAll("\\D+", "")) / 1024.0;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Double.NaN;
    }
}
