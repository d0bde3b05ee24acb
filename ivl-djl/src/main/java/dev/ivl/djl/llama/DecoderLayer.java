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

    NDArray forward(NDArray h, int position, KvCache cache, int layer, RotaryEmbedding rope, NDArray mask) {
        h = h.add(attention.forward(inputNorm.forward(h), position, cache, layer, rope, mask)); // residual + self_attn
        return h.add(mlp.forward(postAttentionNorm.forward(h))); //                              residual + mlp
    }
}
