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
    private final NDArray signs; //      [2, 1]: 1, -1
    private final NDArray zeros; //      [2, hidden]: LayerNorm's shift
    private final NDArray weightPair; // [2, hidden]: a view of the weight, twice (expanded, not copied)
    private final Shape pair;

    /**
     * @param weight the scale, shape {@code [hidden]}
     * @param eps added to the mean square ({@code rms_norm_eps})
     * @param manager owns the constants (the model's)
     */
    RmsNorm(NDArray weight, float eps, NDManager manager) {
        long hidden = weight.getShape().get(0);
        DataType dtype = weight.getDataType();
        this.weight = weight;
        this.eps = eps;
        this.pair = new Shape(2, hidden);
        this.signs = manager.create(new float[] {1, -1}, new Shape(2, 1)).toType(dtype, false);
        this.zeros = manager.zeros(pair, dtype);
        this.weightPair = weight.broadcast(pair);
        NDScope.unregister(signs, zeros, weightPair);
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
        NDArray both = (t == 1 ? x : x.reshape(t, 1, hidden)).mul(signs); //        [x, -x]: mean 0, variance mean(x²)
        NDArray normed = both.getNDArrayInternal() //  weight * (hidden_states * torch.rsqrt(variance + eps)).to(dtype)
                .layerNorm(both, pair, w, zeros, eps).singletonOrThrow();
        return t == 1 ? Ops.rows(normed, 0, 1) : normed.split(new long[] {1}, 1).get(0).reshape(t, hidden);
    }
}
