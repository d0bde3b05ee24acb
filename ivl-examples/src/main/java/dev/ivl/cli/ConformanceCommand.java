package dev.ivl.cli;

import ai.djl.ndarray.types.DataType;
import com.google.gson.GsonBuilder;
import dev.ivl.core.InvalidInputException;
import dev.ivl.core.IllegalParameterException;
import dev.ivl.core.ModelFormatException;
import dev.ivl.core.sample.GreedySampler;
import dev.ivl.djl.llama.LlamaModel;
import dev.ivl.djl.llama.LlamaSession;
import dev.ivl.djl.weights.SafetensorsCheckpoint;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Checks {@link LlamaModel} against Hugging Face transformers on the conformance fixtures (a checkpoint folder with
 * {@code expected.safetensors}: float64-computed logits of three sequences and 24 greedy tokens), on any device and
 * dtype: the largest logit difference per sequence, and how many greedy tokens agree.
 */
@Command(name = "conformance", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Compare full-sequence logits and greedy tokens with Hugging Face transformers' on the "
                + "conformance fixtures; with float32 compute, fail (exit 1) beyond --tolerance.")
final class ConformanceCommand implements Callable<Integer> {
    /** The classpath folder of the fixtures shipped in ivl-test-fixtures. */
    static final String SHIPPED = "dev/ivl/fixtures/hf-llama/";
    /** The reference outputs inside a fixture folder. */
    static final String EXPECTED = "expected.safetensors";
    /** The sequences {@code expected.safetensors} holds as {@code input_ids.<s>} and {@code logits.<s>}. */
    static final List<String> SEQUENCES = List.of("one", "short", "long");

    @Option(names = "--fixtures", paramLabel = "DIR", description = "a fixture folder, or a folder of them; "
            + "repeatable (default: ../shared/conformance/hf-llama when present, else the fixtures shipped in "
            + "ivl-test-fixtures)")
    List<Path> fixtures;

    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--tolerance", defaultValue = "1e-4",
            description = "largest |logit difference| that passes with float32 compute (default: ${DEFAULT-VALUE})")
    double tolerance;

    @Option(names = "--cache", description = "where shipped fixtures inside a jar are extracted "
            + "(default: the demo's cache folder's sibling hf-llama)")
    Path cache;

    @Option(names = "--json", description = "print the report as JSON")
    boolean json;

    /**
     * One fixture's outcome.
     *
     * @param name the fixture folder's name
     * @param maxDelta the largest |logit difference| of each sequence
     * @param greedyMatched how many of the greedy tokens agree before the first difference
     * @param greedyTotal how many greedy tokens the fixture holds
     * @param pass whether it conforms; null when the compute is not float32
     */
    record Outcome(String name, Map<String, Double> maxDelta, int greedyMatched, int greedyTotal, Boolean pass) {}

    @Override
    public Integer call() {
        if (!(tolerance >= 0)) {
            throw new IllegalParameterException("--tolerance", tolerance, "must be >= 0");
        }
        List<Path> dirs = fixtureDirs();
        List<Outcome> outcomes = new ArrayList<>();
        String dtype = null;
        String device = null;
        for (Path dir : dirs) {
            System.err.println("ivl conformance: " + dir + " ...");
            // the references are float32 computations: compare in float32 on the CPU unless --dtype says otherwise
            try (LlamaModel model = LlamaModel.load(dir, modelOptions.toLoadOptions(
                    modelOptions.device.startsWith("cpu") ? DataType.FLOAT32 : null))) {
                dtype = model.dtype() == DataType.FLOAT32 ? "f32" : model.dtype() == DataType.FLOAT16 ? "f16"
                        : model.dtype().toString();
                device = model.options().device();
                outcomes.add(check(model, dir, model.dtype() == DataType.FLOAT32 ? tolerance : Double.NaN));
            }
        }
        boolean failed = outcomes.stream().anyMatch(o -> Boolean.FALSE.equals(o.pass()));
        System.out.print(json ? toJson(device, dtype, outcomes, failed) + "\n" : toText(device, dtype, outcomes, failed));
        return failed ? 1 : 0;
    }

    /**
     * Compares one model with its fixture's {@value #EXPECTED}.
     *
     * @param model the loaded fixture checkpoint
     * @param dir the fixture folder
     * @param tolerance the largest difference that passes, or NaN for no verdict
     * @return the outcome
     * @throws ModelFormatException naming {@value #EXPECTED} if it cannot be read or a tensor has the wrong size
     */
    static Outcome check(LlamaModel model, Path dir, double tolerance) {
        Path file = dir.resolve(EXPECTED);
        int vocab = model.vocabSize();
        Map<String, Double> deltas = new LinkedHashMap<>();
        int[] prompt;
        int[] want;
        try (SafetensorsCheckpoint expected = SafetensorsCheckpoint.openFile(file)) {
            for (String seq : SEQUENCES) {
                int[] ids = ints(expected.readLongs("input_ids." + seq));
                float[] reference = expected.readFloats("logits." + seq);
                if (reference.length != (long) ids.length * vocab) {
                    throw new ModelFormatException(file, "logits." + seq + " has " + reference.length
                            + " values, not " + ids.length + " x " + vocab + " (tokens x vocabulary)");
                }
                deltas.put(seq, maxAbsDifference(model.logits(ids), reference));
            }
            prompt = ints(expected.readLongs("greedy.prompt"));
            want = ints(expected.readLongs("greedy.output"));
        }
        int matched = 0;
        try (LlamaSession session = model.newSession()) {
            float[] logits = session.append(prompt);
            while (matched < want.length) {
                int token = GreedySampler.argmax(logits);
                if (token != want[matched]) {
                    break;
                }
                matched++;
                logits = session.append(token);
            }
        }
        Boolean pass = Double.isNaN(tolerance) ? null
                : matched == want.length && deltas.values().stream().allMatch(d -> d <= tolerance);
        return new Outcome(dir.getFileName().toString(), deltas, matched, want.length, pass);
    }

    /** @return the largest |got[t][v] - want[t * V + v]| */
    static double maxAbsDifference(float[][] got, float[] want) {
        double max = 0;
        for (int t = 0; t < got.length; t++) {
            int row = t * got[t].length;
            for (int v = 0; v < got[t].length; v++) {
                max = Math.max(max, Math.abs((double) got[t][v] - want[row + v]));
            }
        }
        return max;
    }

    private static int[] ints(long[] values) {
        int[] out = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = Math.toIntExact(values[i]);
        }
        return out;
    }

    /** @return the fixture folders to check, in order: each given folder, or the fixture folders inside it */
    private List<Path> fixtureDirs() {
        List<Path> roots = fixtures;
        if (roots == null || roots.isEmpty()) {
            Path shared = Path.of("..", "shared", "conformance", "hf-llama");
            Path cacheDir = cache != null ? cache : DemoFiles.defaultCache().resolveSibling("hf-llama");
            Path shipped = Files.isDirectory(shared) ? shared
                    : DemoFiles.shippedFolder(ConformanceCommand.class.getClassLoader(), SHIPPED, "README.md", cacheDir);
            if (shipped == null) {
                throw new InvalidInputException("no ../shared/conformance/hf-llama and no " + SHIPPED
                        + " on the class path: give --fixtures DIR");
            }
            roots = List.of(shipped);
        }
        List<Path> dirs = new ArrayList<>();
        for (Path root : roots) {
            if (Files.isRegularFile(root.resolve(EXPECTED))) {
                dirs.add(root);
                continue;
            }
            if (!Files.isDirectory(root)) {
                throw new InvalidInputException(root + ": no such fixture folder");
            }
            try (Stream<Path> children = Files.list(root)) {
                List<Path> found = children.filter(d -> Files.isRegularFile(d.resolve(EXPECTED))).sorted().toList();
                if (found.isEmpty()) {
                    throw new InvalidInputException(root + ": neither a fixture folder (no " + EXPECTED
                            + ") nor a folder of them");
                }
                dirs.addAll(found);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return dirs;
    }

    private String toText(String device, String dtype, List<Outcome> outcomes, boolean failed) {
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
                "conformance with transformers on %s, %s compute%s%n", device, dtype,
                "f32".equals(dtype) ? String.format(Locale.ROOT, ", tolerance %.1e", tolerance) : " (no verdict)"));
        out.append(String.format(Locale.ROOT, "%-22s %-10s %-10s %-10s %-7s %s%n", "fixture", "max|Δ| one", "short",
                "long", "greedy", "result"));
        for (Outcome o : outcomes) {
            out.append(String.format(Locale.ROOT, "%-22s %-10.3g %-10.3g %-10.3g %2d/%-4d %s%n", o.name(),
                    o.maxDelta().get("one"), o.maxDelta().get("short"), o.maxDelta().get("long"), o.greedyMatched(),
                    o.greedyTotal(), o.pass() == null ? "-" : o.pass() ? "pass" : "FAIL"));
        }
        if ("f32".equals(dtype)) {
            out.append(failed ? "FAILED\n" : "all pass\n");
        }
        return out.toString();
    }

    private String toJson(String device, String dtype, List<Outcome> outcomes, boolean failed) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("device", device);
        json.put("dtype", dtype);
        json.put("tolerance", "f32".equals(dtype) ? tolerance : null);
        json.put("pass", "f32".equals(dtype) ? !failed : null);
        json.put("fixtures", outcomes);
        return new GsonBuilder().setPrettyPrinting().serializeNulls().create().toJson(json);
    }
}
