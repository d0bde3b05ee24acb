package dev.ivl.djl.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
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
record Attention(Matrix qkv, Matrix out, int heads, int kvHeads, int headDim) {

    /**
     * @param x normalised activations {@code [T, hidden]} of positions {@code [position, position + T)}
     * @param position the position of the first row
     * @param cache the sequence's cache, which receives this chunk's keys and values
     * @param layer this layer's index in the cache
     * @param rotation the rotation of positions {@code [position, position + T)}
     * @param mask the causal mask {@code [T, position + T]} (0 or −∞), or null when T = 1
     * @param residual the block's input {@code [T, hidden]}
     * @return the residual plus the block's output {@code [T, hidden]}
     */
    NDArray forward(NDArray x, int position, KvCache cache, int layer, RotaryEmbedding.Rotation rotation, NDArray mask,
            NDArray residual) {
        int t = (int) x.getShape().get(0);
        NDList qkv = project(x, rotation);
        cache.write(layer, qkv.get(1), qkv.get(2), position); //                          past_key_value.update(k, v)
        int length = position + t;
        return attend(qkv.get(0), t, cache.keys(layer, length), cache.values(layer, length), mask, residual);
    }

    /**
     * Attention over the chunk itself, no cache: for training on packed rows, where each token has its own
     * position and the mask keeps every sample to itself.
     *
     * @param x normalised activations {@code [T, hidden]}
     * @param rotation the rotation of the tokens' positions, from {@link RotaryEmbedding#rotationAt}
     * @param mask {@code [T, T]} (0 or −∞)
     * @param residual the block's input {@code [T, hidden]}
     * @return the residual plus the block's output {@code [T, hidden]}
     */
    NDArray forwardPacked(NDArray x, RotaryEmbedding.Rotation rotation, NDArray mask, NDArray residual) {
        int t = (int) x.getShape().get(0);
        NDList qkv = project(x, rotation);
        // keys as [KV, d, T] and values as [KV, T, d], as the cache gives them
        return attend(qkv.get(0), t, qkv.get(1).transpose(1, 2, 0), qkv.get(2).transpose(1, 0, 2), mask, residual);
    }

    /**
     * One new token for each of several sequences, each at its own position with its own cache: the projections
     * run over all rows at once (the weights read once), the attention per sequence.
     *
     * @param x normalised activations {@code [B, hidden]}, row i the new token of sequence i
     * @param positions each sequence's position of its new token
     * @param caches each sequence's cache, which receives its key and value
     * @param layer this layer's index in the caches
     * @param rotation the rotation of the rows' positions, from {@link RotaryEmbedding#rotationAt}
     * @param residual the block's input {@code [B, hidden]}
     * @return the residual plus the block's output {@code [B, hidden]}
     */
    NDArray forwardEach(NDArray x, int[] positions, KvCache[] caches, int layer, RotaryEmbedding.Rotation rotation,
            NDArray residual) {
        NDList qkv = project(x, rotation); //                                      q [B, H, d], k and v [B, KV, d]
        NDList merged = new NDList(positions.length);
        for (int i = 0; i < positions.length; i++) {
            caches[i].write(layer, Ops.rows(qkv.get(1), i, i + 1), Ops.rows(qkv.get(2), i, i + 1), positions[i]);
            int length = positions[i] + 1;
            merged.add(attention(Ops.rows(qkv.get(0), i, i + 1), 1, caches[i].keys(layer, length),
                    caches[i].values(layer, length), null));
        }
        return out.times(NDArrays.concat(merged, 0), residual); //                residual + o_proj(.)
    }

    /**
     * q, k, v for each token, q and k rotated and scaled by {@code d^(-1/4)} each: q {@code [T, H, d]} (for one
     * token {@code [G, KV, d]}, the same H·d values), k and v {@code [T, KV, d]}.
     */
    private NDList project(NDArray x, RotaryEmbedding.Rotation rotation) {
        int t = (int) x.getShape().get(0);
        NDArray all = qkv.times(x, null); //                                  q_proj(x), k_proj(x), v_proj(x)
        int group = heads / kvHeads;
        if (rotation instanceof RotaryEmbedding.Step step) {
            // one token: heads as [G + 2, KV, d] times [M, …, M, I]: apply_rotary_pos_emb(q, k, cos, sin), v as is
            return all.reshape(group + 2, kvHeads, headDim).matMul(step.matrices())
                    .split(new long[] {group, group + 1}, 0);
        }
        RotaryEmbedding.Tables tables = (RotaryEmbedding.Tables) rotation;
        NDList qkAndV = all.reshape(t, heads + 2 * kvHeads, headDim).split(new long[] {heads + kvHeads}, 1);
        // q_proj / k_proj heads rotated together: apply_rotary_pos_emb(q, k, cos, sin)
        NDList qk = tables.apply(qkAndV.get(0)).split(new long[] {heads}, 1);
        return new NDList(qk.get(0), qk.get(1), qkAndV.get(1));
    }

    /**
     * Scaled dot-product attention of the queries over keys and values, then the output projection plus the
     * residual.
     *
     * @param query {@code [T, H, d]}, or for one token its H·d values in any shape
     * @param t T, the number of tokens
     * @param keys {@code [KV, d, L]}
     * @param values {@code [KV, L, d]}
     * @param mask {@code [T, L]} (0 or −∞), or null when every key is visible
     * @param residual added to the output projection
     */
    private NDArray attend(NDArray query, int t, NDArray keys, NDArray values, NDArray mask, NDArray residual) {
        return out.times(attention(query, t, keys, values, mask), residual); //            residual + o_proj(.)
    }

    /**
     * Scaled dot-product attention of the queries over keys and values, the heads merged.
     *
     * @return {@code [T, H·d]}
     */
    private NDArray attention(NDArray query, int t, NDArray keys, NDArray values, NDArray mask) {
        long length = keys.getShape().get(2);
        int group = heads / kvHeads;
        // query heads h = kv·group + g, regrouped as [KV, group·T, d] (one token: a view of [1, H, d])
        NDArray q = t == 1
                ? query.reshape(kvHeads, group, headDim)
                : query.reshape(t, kvHeads, group, headDim).transpose(1, 2, 0, 3).reshape(kvHeads, (long) group * t,
                        headDim);
        // q @ kᵀ * scaling: q and k carry d^(-1/4) each from the rotation
        NDArray scores = q.matMul(keys); //                                                 [KV, group·T, L]
        if (mask != null) {
            scores = scores.reshape(kvHeads, group, t, length).add(mask).reshape(kvHeads, (long) group * t, length);
        }
        NDArray probs = softmax(scores); //                                                 softmax(., dtype=float32)
        NDArray attended = probs.matMul(values); //                                         attn_weights @ v
        return t == 1
                ? attended.reshape(1, (long) heads * headDim)
                : attended.reshape(kvHeads, group, t, headDim).transpose(2, 0, 1, 3).reshape(t, (long) heads * headDim);
    }

    /**
     * Softmax over the keys, accumulated in float32 as HF's {@code softmax(..., dtype=torch.float32)}. On a GPU the
     * engine's half-precision softmax already accumulates in float32, rounding only its output, as HF's cast back
     * does: no casts are needed there.
     */
    private static NDArray softmax(NDArray scores) {
        if (scores.getDataType() == DataType.FLOAT32 || scores.getDevice().isGpu()) {
            return scores.softmax(-1);
        }
        return scores.toType(DataType.FLOAT32, false).softmax(-1).toType(scores.getDataType(), false);
    }
}
