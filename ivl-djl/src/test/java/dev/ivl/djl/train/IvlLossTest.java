package dev.ivl.djl.train;

import dev.ivl.core.model.Scheme;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.ivl.djl.llama.CascadeModel;
import dev.ivl.djl.llama.LlamaModel;
import dev.ivl.djl.testutil.Fixtures;
import dev.ivl.djl.train.data.PackedBatch;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The IVL objective on packed rows, against an independent computation from per-sample inference logits, and its
 * gradients against central finite differences.
 */
class IvlLossTest {
    static LlamaModel value;
    static LlamaModel base;
    static NDManager manager;

    // two samples packed in one row: [1 10 20 30 40] with labels on 30, 40; [1 50 60 70] with labels on 60, 70
    static final int[][] SAMPLES = {{1, 10, 20, 30, 40}, {1, 50, 60, 70}};
    static final int[][] TARGET_POSITIONS = {{3, 4}, {2, 3}};
    static final PackedBatch BATCH = new PackedBatch(
            new int[] {1, 10, 20, 30, 40, 1, 50, 60, 70},
            new int[] {0, 1, 2, 3, 4, 0, 1, 2, 3},
            new int[] {0, 0, 0, 0, 0, 1, 1, 1, 1},
            new int[] {2, 3, 6, 7},
            new int[] {30, 40, 60, 70});

    @BeforeAll
    static void load() {
        value = LlamaModel.load(Fixtures.path("hf-llama/mha"));
        base = LlamaModel.load(Fixtures.path("hf-llama/gqa-tied"));
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void close() {
        manager.close();
        value.close();
        base.close();
    }

    /** CE(z_base + z_delta) + λ·mean|z_delta| over the label positions, from full-sequence inference logits. */
    static double reference(double lambda) {
        double nll = 0;
        double abs = 0;
        int labels = 0;
        for (int s = 0; s < SAMPLES.length; s++) {
            float[][] zv = value.logits(SAMPLES[s]);
            float[][] zb = base.logits(SAMPLES[s]);
            for (int pos : TARGET_POSITIONS[s]) {
                float[] d = zv[pos - 1];
                float[] b = zb[pos - 1];
                double max = Double.NEGATIVE_INFINITY;
                for (int i = 0; i < d.length; i++) {
                    max = Math.max(max, (double) b[i] + d[i]);
                }
                double sum = 0;
                for (int i = 0; i < d.length; i++) {
                    sum += Math.exp(b[i] + d[i] - max);
                    abs += Math.abs(d[i]);
                }
                int label = SAMPLES[s][pos];
                nll += -(b[label] + d[label] - max - Math.log(sum));
                labels++;
            }
        }
        return nll / labels + lambda * abs / ((double) labels * value.vocabSize());
    }

    static double packedLoss(double lambda) {
        try (NDScope scope = new NDScope()) {
            return IvlLoss.compute(value, base, Scheme.RESIDUAL, BATCH, lambda, BATCH.targetCount(), manager, null).value().getFloat();
        }
    }

    @Test
    void packedRowLossEqualsThePerSampleReference() {
        for (double lambda : new double[] {0, 1}) {
            double want = reference(lambda);
            double got = packedLoss(lambda);
            System.out.printf("ivl loss λ=%.0f: packed %.6f, reference %.6f%n", lambda, got, want);
            assertEquals(want, got, 1e-4 * Math.abs(want), "λ = " + lambda);
        }
        assertTrue(reference(1) > reference(0), "the L1 term is not zero");
    }

    /**
     * The cascade scheme: the packed training loss equals the one computed through {@link CascadeModel}, the
     * inference path (KV caches, the base's distribution fed row by row).
     */
    @Test
    void cascadeTrainingLossEqualsTheInferencePath() {
        for (boolean withText : new boolean[] {true, false}) {
            double nll = 0;
            double abs = 0;
            int labels = 0;
            CascadeModel cascade = new CascadeModel(base, value, 1f, withText);
            for (int s = 0; s < SAMPLES.length; s++) {
                float[][] zb = base.logits(SAMPLES[s]);
                try (dev.ivl.core.model.Session session = cascade.newSession()) {
                    for (int pos = 1; pos < SAMPLES[s].length; pos++) {
                        float[] zPost = session.append(SAMPLES[s][pos - 1]); // logits after token pos - 1
                        if (!contains(TARGET_POSITIONS[s], pos)) {
                            continue;
                        }
                        double max = Double.NEGATIVE_INFINITY;
                        for (float z : zPost) {
                            max = Math.max(max, z);
                        }
                        double sum = 0;
                        for (int i = 0; i < zPost.length; i++) {
                            sum += Math.exp(zPost[i] - max);
                            abs += Math.abs(zPost[i] - zb[pos - 1][i]); // z_delta = z_post − z_base at α = 1
                        }
                        nll += -(zPost[SAMPLES[s][pos]] - max - Math.log(sum));
                        labels++;
                    }
                }
            }
            double want = nll / labels + abs / ((double) labels * value.vocabSize());
            double got;
            try (NDScope scope = new NDScope()) {
                got = IvlLoss.compute(value, base, withText ? Scheme.CASCADE : Scheme.CASCADE_NO_TEXT, BATCH, 1,
                        BATCH.targetCount(), manager, null).value().getFloat();
            }
            System.out.printf("cascade loss (text %s): packed %.6f, inference path %.6f%n", withText, got, want);
            assertEquals(want, got, 1e-4 * Math.abs(want));
            assertTrue(Math.abs(got - packedLoss(1)) > 1e-3, "the cascade input changes the loss");
        }
    }

    static boolean contains(int[] values, int v) {
        return java.util.Arrays.stream(values).anyMatch(x -> x == v);
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        double lambda = 1;
        Map<String, NDArray> params = value.parameters();
        String[] names = {"model.layers.1.self_attn.qkv_proj.weight", "model.layers.0.mlp.down_proj.weight",
            "model.layers.0.input_layernorm.weight",
            "model.norm.weight", "lm_head.weight"};
        for (NDArray p : params.values()) {
            p.setRequiresGradient(true);
        }
        try {
            try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
                IvlLoss.backward(value, base, Scheme.RESIDUAL, BATCH, lambda, BATCH.targetCount(), collector, manager, null);
            }
            for (String name : names) {
                NDArray p = params.get(name);
                float[] grad = p.getGradient().toFloatArray();
                // the 3 entries with the largest gradient, where finite differences are far above rounding noise
                int[] top = java.util.stream.IntStream.range(0, grad.length).boxed()
                        .sorted((a, b) -> Float.compare(Math.abs(grad[b]), Math.abs(grad[a])))
                        .limit(3).mapToInt(Integer::intValue).toArray();
                for (int index : top) {
                    double eps = 1e-2;
                    double plus = lossWithEntryShifted(p, index, eps);
                    double minus = lossWithEntryShifted(p, index, -eps);
                    double numeric = (plus - minus) / (2 * eps);
                    System.out.printf("grad %-42s [%d] analytic %.6f numeric %.6f%n", name, index, grad[index], numeric);
                    assertEquals(numeric, grad[index], 0.03 * Math.abs(numeric) + 1e-4, name + "[" + index + "]");
                }
            }
        } finally {
            for (NDArray p : params.values()) {
                p.setRequiresGradient(false);
            }
        }
    }

    @Test
    void theFrozenBaseGetsNoGradientAndStaysBitIdentical() {
        Map<String, NDArray> params = value.parameters();
        Map<String, float[]> baseBefore = new java.util.LinkedHashMap<>();
        base.parameters().forEach((name, p) -> baseBefore.put(name, p.toFloatArray()));
        params.values().forEach(p -> p.setRequiresGradient(true));
        try {
            try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
                IvlLoss.backward(value, base, Scheme.RESIDUAL, BATCH, 1, BATCH.targetCount(), collector, manager, null);
            }
            AdamW optimizer = new AdamW(params, manager, 0.1);
            optimizer.step(1e-2);
            base.parameters().forEach((name, p) -> {
                assertTrue(!p.hasGradient(), name + " has a gradient");
                org.junit.jupiter.api.Assertions.assertArrayEquals(baseBefore.get(name), p.toFloatArray(), 0f, name);
            });
        } finally {
            params.values().forEach(p -> p.setRequiresGradient(false));
            value.close();
            value = LlamaModel.load(Fixtures.path("hf-llama/mha")); // undo the step for the other tests
        }
    }

    /** The loss with one parameter entry shifted by {@code delta}, then restored. */
    static double lossWithEntryShifted(NDArray p, int flatIndex, double delta) {
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try (NDScope scope = new NDScope()) {
            NDArray flat = p.reshape(-1); // a view: writes go to the parameter
            NDIndex at = new NDIndex().addSliceDim(flatIndex, flatIndex + 1);
            float original = flat.get(at).getFloat();
            flat.set(at, original + (float) delta);
            double loss = packedLoss(1);
            flat.set(at, original);
            return loss;
        } finally {
            JniUtils.setGradMode(grad);
        }
    }
}
