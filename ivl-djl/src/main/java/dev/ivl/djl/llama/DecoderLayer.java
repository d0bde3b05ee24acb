package dev.ivl.djl.llama;

import ai.djl.ndarray.NDArray;

/**
 * One pre-norm transformer block, as HF {@code LlamaDecoderLayer}:
 * {@code h = h + attn(norm(h)); h = h + mlp(norm(h))}.
 *
 * @param inputNorm {@code input_layernorm}
 * @param attention {@code self_attn}
 * @param postAttentionNorm {@code post_attention_layernorm}
 * @param mlp {@code mlp}
 */
record DecoderLayer(RmsNorm inputNorm, Attention attention, RmsNorm postAttentionNorm, Mlp mlp) {

    NDArray forward(NDArray h, int position, KvCache cache, int layer, RotaryEmbedding.Rotation rotation, NDArray mask) {
        h = attention.forward(inputNorm.forward(h), position, cache, layer, rotation, mask, h); // h + self_attn
        return mlp.forward(postAttentionNorm.forward(h), h); //                                    h + mlp
    }

    /** The same block for one new token of each of several sequences, each with its own position and cache. */
    NDArray forwardEach(NDArray h, int[] positions, KvCache[] caches, int layer, RotaryEmbedding.Rotation rotation) {
        h = attention.forwardEach(inputNorm.forward(h), positions, caches, layer, rotation, h);
        return mlp.forward(postAttentionNorm.forward(h), h);
    }

    /** The same block over a packed training row: no cache, per-token positions, a block-diagonal causal mask. */
    NDArray forwardPacked(NDArray h, RotaryEmbedding.Rotation rotation, NDArray mask) {
        h = attention.forwardPacked(inputNorm.forward(h), rotation, mask, h);
        return mlp.forward(postAttentionNorm.forward(h), h);
    }
}
