package dev.ivl.djl.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * Root-mean-square layer norm, as HF {@code LlamaRMSNorm}: normalised in float32, scaled by a learned weight.
 *
 * @param weight the scale, shape {@code [hidden]}
 * @param eps added to the mean square ({@code rms_norm_eps})
 */
record RmsNorm(NDArray weight, float eps) {
    private static final int[] LAST_AXIS = {-1};

    /**
     * @param x activations {@code [T, hidden]}
     * @return the normalised activations, in x's dtype
     */
    NDArray forward(NDArray x) {
        NDArray x32 = x.toType(DataType.FLOAT32, false); //          hidden_states.to(torch.float32)
        NDArray variance = x32.square().mean(LAST_AXIS, true); //     hidden_states.pow(2).mean(-1, keepdim=True)
        NDArray normed = x32.div(variance.add(eps).sqrt()); //       hidden_states * torch.rsqrt(variance + eps)
        return normed.toType(x.getDataType(), false).mul(weight); // weight * hidden_states.to(input_dtype)
    }
}
