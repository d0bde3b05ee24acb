package dev.ivl.examples.bench;

import ai.djl.pytorch.jni.JniUtils;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.ivl.core.IvlException;
import dev.ivl.djl.llama.LlamaConfig;
import dev.ivl.djl.llama.LlamaModel;
import dev.ivl.djl.llama.LlamaSession;
import dev.ivl.djl.llama.LoadOptions;
import dev.ivl.fixtures.RandomCheckpoint;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Counts the engine operations of one decode step's engine pass per decoder layer (the pass a GPU runs for each
 * token; on a CPU most models decode a token in Java instead, with no engine call, so the models are loaded with
 * {@link LoadOptions#javaSteps()} false), as PyTorch's profiler records them: the
 * top-level {@code aten::} calls of the step (an op called by another op is not counted again; views such as
 * {@code reshape} and {@code slice} count, since each is a call through the engine). Two small random models that
 * differ only in their number of layers (1 and 2) decode the same tokens on the given device and dtype; the
 * difference of their counts is one layer's. The count depends on the code path, not on the model's size, except
 * that on a CPU with several intra-op threads a single-row product is split into row blocks (a few more views).
 */
public final class OpCount {
    private OpCount() {}

    /**
     * One layer's operations in a decode step.
     *
     * @param device the device
     * @param dtype the compute dtype
     * @param intraOpThreads the engine's intra-op threads while counting
     * @param perLayer top-level operations per layer
     * @param byOp per operation name, how many a layer makes
     * @param outsideLayers the step's operations outside the layers (embedding, final norm, LM head, copies)
     * @param hostMicrosPerOp host time of one small elementwise op on the device, issued and later freed through
     *     DJL (median of 5 runs of {@value #TIMED_OPS}): what each engine call costs the host at least
     */
    public record Result(String device, String dtype, int intraOpThreads, int perLayer, Map<String, Integer> byOp,
            int outsideLayers, double hostMicrosPerOp) {
        /** @return the report as aligned text */
        public String toText() {
            StringBuilder b = new StringBuilder(String.format(Locale.ROOT,
                    "engine ops per layer per decode step (%s, %s, %d intra-op thread(s)): %d; outside the layers: %d%n"
                    + "host time of one small op (issue and free): %.2f us%n",
                    device, dtype, intraOpThreads, perLayer, outsideLayers, hostMicrosPerOp));
            byOp.entrySet().stream()
                    .sorted(Map.Entry.<String, Integer>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
                    .forEach(e -> b.append(String.format(Locale.ROOT, "  %3d  %s%n", e.getValue(), e.getKey())));
            return b.toString();
        }

        /** @return the report as JSON */
        public String toJson() {
            return new GsonBuilder().setPrettyPrinting().create().toJson(this);
        }
    }

    /**
     * Counts on the given device and dtype, in the calling thread (its intra-op threads and grad mode apply).
     *
     * @param options device and dtype of the two small models
     * @param workDir a folder for the two models' files
     * @return the count
     * @throws IvlException if the engine has no profiler (a JNI built without it)
     */
    public static Result measure(LoadOptions options, Path workDir) {
        LlamaConfig tiny = RandomCheckpoint.shape("tiny");
        Map<String, Integer> one = profile(tiny.withLayers(1), options, workDir.resolve("one-layer"));
        Map<String, Integer> two = profile(tiny.withLayers(2), options, workDir.resolve("two-layers"));
        Map<String, Integer> perLayer = new TreeMap<>();
        two.forEach((op, n) -> {
            int diff = n - one.getOrDefault(op, 0);
            if (diff != 0) {
                perLayer.put(op, diff);
            }
        });
        int total = perLayer.values().stream().mapToInt(Integer::intValue).sum();
        int outside = one.values().stream().mapToInt(Integer::intValue).sum() - total;
        String dtype = options.weightDtype(tiny.torchDtype()).name().toLowerCase(Locale.ROOT);
        return new Result(options.device(), dtype, JniUtils.getNumThreads(), total, perLayer, outside,
                hostMicrosPerOp(options));
    }

    /** Ops per timed run of {@link #hostMicrosPerOp}. */
    static final int TIMED_OPS = 20_000;

    /**
     * Times {@value #TIMED_OPS} additions of two {@code [1, 64]} arrays on the device, freed every 100 as a decode
     * step frees its temporaries, then one copy of the last result to the host (which waits for the device).
     */
    private static double hostMicrosPerOp(LoadOptions options) {
        double[] runs = new double[5];
        try (NDManager manager = NDManager.newBaseManager(options.djlDevice(), "PyTorch")) {
            DataType compute = options.computeDtype(options.weightDtype(null));
            NDArray a = manager.ones(new Shape(1, 64), compute);
            NDArray b = manager.ones(new Shape(1, 64), compute);
            for (int r = -1; r < runs.length; r++) { // one run to warm up
                long start = System.nanoTime();
                for (int i = 0; i < TIMED_OPS / 100; i++) {
                    try (NDScope scope = new NDScope()) {
                        NDArray x = a;
                        for (int j = 0; j < 100; j++) {
                            x = x.add(b);
                        }
                        if (i == TIMED_OPS / 100 - 1) {
                            x.toFloatArray();
                        }
                    }
                }
                if (r >= 0) {
                    runs[r] = (System.nanoTime() - start) / 1e3 / TIMED_OPS;
                }
            }
        }
        Arrays.sort(runs);
        return runs[runs.length / 2];
    }

    /** @return the top-level operations of one decode step, by name */
    private static Map<String, Integer> profile(LlamaConfig config, LoadOptions options, Path dir) {
        RandomCheckpoint.write(config, 0, RandomCheckpoint.Storage.F32, dir);
        Path trace = dir.resolve("trace.json");
        // the engine's pass for every token, as on a GPU (every other option as given: a new one fails to compile here)
        LoadOptions engine = new LoadOptions(options.device(), options.dtype(), options.maxSequenceLength(),
                options.prefillChunk(), false);
        try (LlamaModel model = LlamaModel.load(dir, engine); LlamaSession session = model.newSession()) {
            session.append(1, 2, 3, 4, 5);
            session.append(6); // warm: the cache and rotary tables exist before the counted step
            try {
                JniUtils.startProfile(false, false, false);
            } catch (RuntimeException | UnsatisfiedLinkError e) {
                throw new IvlException("cannot count engine ops: this PyTorch JNI has no profiler (" + e + ")", e);
            }
            try {
                session.append(7);
            } finally {
                JniUtils.stopProfile(trace.toString());
            }
        }
        return topLevel(trace);
    }

    /** Counts the events of a Chrome trace that no other event of the same thread encloses. */
    static Map<String, Integer> topLevel(Path trace) {
        JsonArray events;
        try {
            events = JsonParser.parseString(Files.readString(trace)).getAsJsonArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, List<JsonObject>> byThread = new LinkedHashMap<>();
        for (JsonElement e : events) {
            JsonObject o = e.getAsJsonObject();
            if (o.has("dur") && "X".equals(o.get("ph").getAsString())) {
                byThread.computeIfAbsent(o.get("tid").getAsString(), k -> new ArrayList<>()).add(o);
            }
        }
        Map<String, Integer> counts = new TreeMap<>();
        for (List<JsonObject> thread : byThread.values()) {
            // by start, the longer first: an event is top-level when it starts after the last top-level one ended
            thread.sort(Comparator.<JsonObject>comparingDouble(o -> o.get("ts").getAsDouble())
                    .thenComparing(Comparator.<JsonObject>comparingDouble(o -> o.get("dur").getAsDouble()).reversed()));
            double end = Double.NEGATIVE_INFINITY;
            for (JsonObject o : thread) {
                double ts = o.get("ts").getAsDouble();
                if (ts >= end) {
                    counts.merge(o.get("name").getAsString(), 1, Integer::sum);
                    end = ts + o.get("dur").getAsDouble();
                }
            }
        }
        return counts;
    }
}
