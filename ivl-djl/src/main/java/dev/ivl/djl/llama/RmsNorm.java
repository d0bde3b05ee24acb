package dev.ivl.djl.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;

/**
 * Root-mean-square layer norm, as HF {@code LlamaRMSNorm}: normalised in float32, scaled by a learned weight.
 *
 * <p>It runs as the engine's LayerNorm of {@code [x, −x]}: that vector's mean is 0 and its variance is
 * {@code mean(x²)}, so LayerNorm's {@code (v − mean(v)) / sqrt(var(v) + eps)} is {@code x / sqrt(mean(x²) + eps)}
 * in its first half. One fused kernel, which accumulates in float32 for float16 input, replaces the seven ops of
 * the reference (casts, square, mean, add, rsqrt, product).
 *
 * @param weight the scale, shape {@code [hidden]}
 * @param eps added to the mean square ({@code rms_norm_eps})
 * @param ones LayerNorm's scale, ones {@code [2·hidden]} (the learned weight is applied after, in the input dtype)
 * @param zeros LayerNorm's shift, zeros {@code [2·hidden]}
 */
record RmsNorm(NDArray weight, float eps, NDArray ones, NDArray zeros) {

    /**
     * @param x activations {@code [T, hidden]}
     * @return the normalised activations, in x's dtype
     */
    NDArray forward(NDArray x) {
        long hidden = weight.getShape().get(0);
        NDArray both = NDArrays.concat(new NDList(x, x.neg()), 1); //  [x, -x]: mean 0, variance mean(x²)
        NDArray normed = both.getNDArrayInternal() //                   hidden_states * torch.rsqrt(variance + eps)
                .layerNorm(both, new Shape(2 * hidden), ones, zeros, eps).singletonOrThrow();
        return normed.split(new long[] {hidden}, 1).get(0).mul(weight); // weight * hidden_states.to(input_dtype)
    }
}
