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
     * @param rotation cos and sine tables of positions {@code [position, position + T)}
     * @param mask the causal mask {@code [T, position + T]} (0 or −∞), or null when T = 1
     * @return the block's output {@code [T, hidden]}
     */
    NDArray forward(NDArray x, int position, KvCache cache, int layer, NDArray[] rotation, NDArray mask) {
        int t = (int) x.getShape().get(0);
        NDList qkv = project(x, rotation);
        NDArray k = qkv.get(1).transpose(1, 0, 2); //                                     [KV, T, d]
        NDArray v = qkv.get(2).transpose(1, 0, 2); //                                     [KV, T, d]
        cache.write(layer, k, v, position); //                                            past_key_value.update(k, v)
        int length = position + t;
        return attend(qkv.get(0), cache.keys(layer, length), cache.values(layer, length), mask);
    }

    /**
     * Attention over the chunk itself, no cache: for training on packed rows, where each token has its own
     * position and the mask keeps every sample to itself.
     *
     * @param x normalised activations {@code [T, hidden]}
     * @param rotation cos and sine tables of the tokens' positions, from {@link RotaryEmbedding#tablesAt}
     * @param mask {@code [T, T]} (0 or −∞)
     * @return the block's output {@code [T, hidden]}
     */
    NDArray forwardPacked(NDArray x, NDArray[] rotation, NDArray mask) {
        NDList qkv = project(x, rotation);
        return attend(qkv.get(0), qkv.get(1).transpose(1, 0, 2), qkv.get(2).transpose(1, 0, 2), mask);
    }

    /** q, k, v for each token, q and k rotated: {@code [T, H, d]}, {@code [T, KV, d]}, {@code [T, KV, d]}. */
    private NDList project(NDArray x, NDArray[] rotation) {
        int t = (int) x.getShape().get(0);
        NDList qkAndV = Ops.linear(x, qkv).split(new long[] {(long) (heads + kvHeads) * headDim}, 1);
        // q_proj / k_proj heads rotated together: apply_rotary_pos_emb(q, k, cos, sin)
        NDArray qk = RotaryEmbedding.rotate(qkAndV.get(0).reshape(t, heads + kvHeads, headDim), rotation);
        NDList split = qk.split(new long[] {heads}, 1);
        return new NDList(split.get(0), split.get(1), qkAndV.get(1).reshape(t, kvHeads, headDim));
    }

    /**
     * Scaled dot-product attention of the queries over keys and values, then the output projection.
     *
     * @param query {@code [T, H, d]}
     * @param keys {@code [KV, L, d]}
     * @param values {@code [KV, L, d]}
     * @param mask {@code [T, L]} (0 or −∞), or null when every key is visible
     */
    private NDArray attend(NDArray query, NDArray keys, NDArray values, NDArray mask) {
        int t = (int) query.getShape().get(0);
        long length = keys.getShape().get(1);
        int group = heads / kvHeads;
        // query heads h = kv·group + g, regrouped as [KV, group·T, d]; 1/√d applied to q before the product
        NDArray q = query.mul(1.0 / Math.sqrt(headDim))
                .reshape(t, kvHeads, group, headDim)
                .transpose(1, 2, 0, 3)
                .reshape(kvHeads, (long) group * t, headDim);
        NDArray scores = q.matMul(keys.transpose(0, 2, 1)); //                             q @ kᵀ * scaling
        if (mask != null) {
            scores = scores.reshape(kvHeads, group, t, length).add(mask).reshape(kvHeads, (long) group * t, length);
        }
        NDArray probs = scores.toType(DataType.FLOAT32, false).softmax(-1).toType(query.getDataType(), false);
        NDArray heads = probs.matMul(values) //                                             attn_weights @ v
                .reshape(kvHeads, group, t, headDim)
                .transpose(2, 0, 1, 3)
                .reshape(t, (long) this.heads * headDim);
        return Ops.linear(heads, out); //                                                   o_proj(attn_output)
    }
}
