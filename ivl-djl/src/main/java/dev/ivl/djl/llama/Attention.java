package dev.ivl.djl.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;

/**
 * Causal self-attention with grouped-query heads, as HF {@code LlamaAttention} (eager). The q, k and v projections
 * are one fused matrix product. Query heads are grouped by the key/value head they share, so K and V are read once
 * per kv head instead of being repeated ({@code repeat_kv}) for every query head.
 *
 * @param qkv {@code cat([q_proj.weight, k_proj.weight, v_proj.weight])}, shape {@code [(H + 2·KV)·d, hidden]}
 * @param out {@code o_proj.weight}, shape {@code [hidden, H·d]}
 * @param heads H, the query heads
 * @param kvHeads KV, the key/value heads (H for MHA, 1 for MQA)
 * @param headDim d
 */
record Attention(NDArray qkv, NDArray out, int heads, int kvHeads, int headDim) {

    /**
     * @param x normalised activations {@code [T, hidden]} of positions {@code [position, position + T)}
     * @param position the position of the first row
     * @param cache the sequence's cache, which receives this chunk's keys and values
     * @param layer this layer's index in the cache
     * @param rope the rotary embedding
     * @param mask the causal mask {@code [T, position + T]} (0 or −∞), or null when T = 1
     * @return the block's output {@code [T, hidden]}
     */
    NDArray forward(NDArray x, int position, KvCache cache, int layer, RotaryEmbedding rope, NDArray mask) {
        int t = (int) x.getShape().get(0);
        int length = position + t;
        int group = heads / kvHeads;
        NDList qkAndV = Ops.linear(x, qkv).split(new long[] {(long) (heads + kvHeads) * headDim}, 1);
        // q_proj / k_proj heads rotated together: apply_rotary_pos_emb(q, k, cos, sin)
        NDList qk = rope.apply(qkAndV.get(0).reshape(t, heads + kvHeads, headDim), position).split(new long[] {heads}, 1);
        NDArray k = qk.get(1).transpose(1, 0, 2); //                                       [KV, T, d]
        NDArray v = qkAndV.get(1).reshape(t, kvHeads, headDim).transpose(1, 0, 2); //     [KV, T, d]
        cache.write(layer, k, v, position); //                                             past_key_value.update(k, v)
        NDArray keys = cache.keys(layer, length); //                                       [KV, L, d]
        NDArray values = cache.values(layer, length);
        // query heads h = kv·group + g, regrouped as [KV, group·T, d]; 1/√d applied to q before the product
        NDArray q = qk.get(0).mul(1.0 / Math.sqrt(headDim))
                .reshape(t, kvHeads, group, headDim)
                .transpose(1, 2, 0, 3)
                .reshape(kvHeads, (long) group * t, headDim);
        NDArray scores = q.matMul(keys.transpose(0, 2, 1)); //                             q @ kᵀ * scaling
        if (mask != null) {
            scores = scores.reshape(kvHeads, group, t, length).add(mask).reshape(kvHeads, (long) group * t, length);
        }
        NDArray probs = scores.toType(DataType.FLOAT32, false).softmax(-1).toType(x.getDataType(), false); // softmax in fp32
        NDArray heads = probs.matMul(values) //                                             attn_weights @ v
                .reshape(kvHeads, group, t, headDim)
                .transpose(2, 0, 1, 3)
                .reshape(t, (long) this.heads * headDim);
        return Ops.linear(heads, out); //                                                   o_proj(attn_output)
    }
}
