package dev.ivl.djl.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;

/**
 * Root-mean-square layer norm, as HF {@code LlamaRMSNorm}: normalised in float32, scaled by a learned weight.
 *
 * <p>It runs as the engine's LayerNorm of the pair {@code [x, −x]}: the pair's mean is 0 and its variance is
 * {@code mean(x²)}, so LayerNorm's {@code (v − mean(v)) / sqrt(var(v) + eps) · w} is
 * {@code x / sqrt(mean(x²) + eps) · weight} in its first row when {@code w} is the weight twice. One fused kernel,
 * which accumulates in float32 for float16 input, replaces the seven ops of the reference (casts, square, mean,
 * add, rsqrt and two products).
 */
final class RmsNorm {
    private final NDArray weight;
    private final float eps;
    private final Constants constants;
    private final NDArray weightPair; // [2, hidden]: a view of the weight, twice (expanded, not copied)
    private final Shape pair;

    /**
     * The constants every norm of a model shares.
     *
     * @param signs {@code [2, 1]}: 1, −1
     * @param zeros {@code [2, hidden]}: LayerNorm's shift
     */
    record Constants(NDArray signs, NDArray zeros) {
        /**
         * @param manager owns them (the model's)
         * @param hidden the normalised size
         * @param dtype the compute dtype
         * @return the constants
         */
        static Constants of(NDManager manager, long hidden, DataType dtype) {
            NDArray signs32 = manager.create(new float[] {1, -1}, new Shape(2, 1));
            NDArray signs = signs32.toType(dtype, false);
            if (signs != signs32) {
                signs32.close();
            }
            return new Constants(signs, manager.zeros(new Shape(2, hidden), dtype));
        }
    }

    /**
     * @param weight the scale, shape {@code [hidden]}
     * @param eps added to the mean square ({@code rms_norm_eps})
     * @param constants the model's shared constants, of the weight's size and dtype
     */
    RmsNorm(NDArray weight, float eps, Constants constants) {
        this.weight = weight;
        this.eps = eps;
        this.constants = constants;
        this.pair = constants.zeros().getShape();
        this.weightPair = weight.broadcast(pair);
        NDScope.unregister(weightPair);
    }

    /** @return the learned scale ({@code weight}), {@code [hidden]} */
    NDArray weight() {
        return weight;
    }

    /**
     * @param x activations {@code [T, hidden]}
     * @return the normalised activations, in x's dtype
     */
    NDArray forward(NDArray x) {
        long t = x.getShape().get(0);
        long hidden = pair.get(1);
        // under autograd the expanded weight is made here, so that gradients reach the weight itself
        NDArray w = JniUtils.isGradMode() ? weight.broadcast(pair) : weightPair;
        NDArray both = (t == 1 ? x : x.reshape(t, 1, hidden)).mul(constants.signs()); // [x, -x]: mean 0, var mean(x²)
        NDArray normed = both.getNDArrayInternal() //  weight * (hidden_states * torch.rsqrt(variance + eps)).to(dtype)
                .layerNorm(both, pair, w, constants.zeros(), eps).singletonOrThrow();
        return t == 1 ? Ops.rows(normed, 0, 1) : normed.split(new long[] {1}, 1).get(0).reshape(t, hidden);
    }
}
