package dev.ivl.djl.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

/**
 * The SwiGLU feed-forward block, as HF {@code LlamaMLP}: {@code down(silu(gate(x)) * up(x))}, with the gate and
 * up projections fused into one matrix product.
 *
 * @param gateUp {@code cat([gate_proj.weight, up_proj.weight])}, shape {@code [2·ffn, hidden]}
 * @param down {@code down_proj.weight}, shape {@code [hidden, ffn]}
 * @param ffn the intermediate size
 */
record Mlp(Matrix gateUp, Matrix down, int ffn) {

    /**
     * @param x normalised activations {@code [T, hidden]}
     * @param residual the block's input {@code [T, hidden]}
     * @return the residual plus the block's output {@code [T, hidden]}
     */
    NDArray forward(NDArray x, NDArray residual) {
        NDList gu = gateUp.times(x, null).split(new long[] {ffn}, 1); // gate_proj(x), up_proj(x)
        NDArray gate = gu.get(0);
        NDArray act = gate.mul(gate.getNDArrayInternal().sigmoid()); // act_fn = SiLU: g * sigmoid(g)
        return down.times(act.mul(gu.get(1)), residual); //        residual + down_proj(act_fn(gate) * up)
    }
}
