package dev.ivl.djl.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.jni.JniUtils;
import dev.ivl.djl.weights.SafetensorsCheckpoint;
import dev.ivl.djl.weights.SafetensorsWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * AdamW (Loshchilov and Hutter) with decoupled weight decay, updating parameters in place from their gradients:
 * {@code m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²; p ← p − lr·(m̂/(√v̂ + ε) + wd·p)}. As in HF's Trainer, one-dimensional
 * parameters (norm weights) get no weight decay. Its moments can be saved and restored for exact resumption.
 */
final class AdamW {
    private static final double BETA1 = 0.9;
    private static final double BETA2 = 0.999;
    private static final double EPS = 1e-8;

    private final Map<String, NDArray> params;
    private final Map<String, NDArray> m = new LinkedHashMap<>();
    private final Map<String, NDArray> v = new LinkedHashMap<>();
    private final double weightDecay;
    private final NDManager manager;
    private int steps;

    /**
     * @param params the parameters, which must require gradients
     * @param manager owns the moments
     * @param weightDecay decoupled weight decay
     */
    AdamW(Map<String, NDArray> params, NDManager manager, double weightDecay) {
        this.params = params;
        this.weightDecay = weightDecay;
        this.manager = manager;
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            m.put(e.getKey(), manager.zeros(e.getValue().getShape(), DataType.FLOAT32));
            v.put(e.getKey(), manager.zeros(e.getValue().getShape(), DataType.FLOAT32));
        }
    }

    /** @return optimizer steps taken */
    int steps() {
        return steps;
    }

    /**
     * Scales all gradients so that their global L2 norm is at most {@code maxNorm} (0: no clipping).
     *
     * @return the norm before clipping
     */
    double clipGradients(double maxNorm) {
        return withoutGrad(() -> {
            try (NDScope scope = new NDScope()) {
                double sumSquares = 0;
                for (NDArray p : params.values()) {
                    sumSquares += p.getGradient().square().sum().getFloat();
                }
                double norm = Math.sqrt(sumSquares);
                if (maxNorm > 0 && norm > maxNorm) {
                    float scale = (float) (maxNorm / (norm + 1e-6));
                    for (NDArray p : params.values()) {
                        p.getGradient().muli(scale);
                    }
                }
                return norm;
            }
        });
    }

    /** Takes one step at learning rate {@code lr}, then zeroes the gradients. */
    void step(double lr) {
        steps++;
        double bias1 = 1 - Math.pow(BETA1, steps);
        double bias2 = 1 - Math.pow(BETA2, steps);
        withoutGrad(() -> {
            try (NDScope scope = new NDScope()) {
                for (Map.Entry<String, NDArray> e : params.entrySet()) {
                    NDArray p = e.getValue();
                    NDArray g = p.getGradient();
                    NDArray mean = m.get(e.getKey()).muli(BETA1).addi(g.mul(1 - BETA1)); //    m = β1·m + (1−β1)·g
                    NDArray var = v.get(e.getKey()).muli(BETA2).addi(g.square().muli(1 - BETA2)); // v = β2·v + (1−β2)·g²
                    if (weightDecay > 0 && p.getShape().dimension() > 1) {
                        p.subi(p.mul(lr * weightDecay)); //                                      p -= lr·wd·p
                    }
                    NDArray denom = var.div(bias2).sqrt().addi(EPS); //                         √v̂ + ε
                    p.subi(mean.div(denom).muli(lr / bias1)); //                                  p -= lr·m̂/(√v̂ + ε)
                    g.subi(g); //                                                                 zero the gradient
                }
                return null;
            }
        });
    }

    /** Writes the moments and the step count. */
    void save(Path file) {
        SafetensorsWriter writer = new SafetensorsWriter();
        for (String name : params.keySet()) {
            writer.add("m." + name, m.get(name));
            writer.add("v." + name, v.get(name));
        }
        writer.putMetadata("steps", Integer.toString(steps));
        writer.write(file);
    }

    /** Restores what {@link #save} wrote. */
    void load(Path file) {
        try (SafetensorsCheckpoint saved = SafetensorsCheckpoint.openFile(file)) {
            for (String name : params.keySet()) {
                restore(m, name, saved.readFloats("m." + name));
                restore(v, name, saved.readFloats("v." + name));
            }
            steps = Integer.parseInt(saved.metadata().get("steps"));
        }
    }

    private void restore(Map<String, NDArray> moments, String name, float[] values) {
        NDArray old = moments.get(name);
        moments.put(name, manager.create(values, old.getShape()));
        old.close();
    }

    private static <T> T withoutGrad(Supplier<T> body) {
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            return body.get();
        } finally {
            JniUtils.setGradMode(grad);
        }
    }
}
