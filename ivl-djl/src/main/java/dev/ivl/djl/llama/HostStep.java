package dev.ivl.djl.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.ivl.djl.internal.SpinPool;
import dev.ivl.djl.quant.FloatMatrix;
import dev.ivl.djl.quant.Int8Matrix;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.List;

/**
 * Decode steps of a {@link LlamaModel} on the CPU, in Java: up to {@link #MAX_ROWS} new tokens of one sequence (one
 * token, a speculative check, a short append) in one call. The matrix products are Java's ({@link FloatMatrix},
 * {@link Int8Matrix}), or for large float16 layers the engine's {@code linear}
 * ({@link LlamaModel#halfProductsOnEngine}); the rest of the step (norms, rotation, attention over the cache, SwiGLU,
 * residual sums) is a few thousand floats, done in plain loops. Every array is read in place through views of the
 * engine's memory (weights, norms, the sequence's {@link KvCache}, which this step writes as the engine's passes do:
 * keys rotated and scaled by {@code d^(-1/4)}), so engine passes and Java steps of one sequence can follow each
 * other. A decode step is then bound by its weights instead of by the engine's per-call cost.
 *
 * <p>Follows HF {@code LlamaForCausalLM.forward}, causal over the call's tokens, in float32 (sums of the norms and of the softmax in
 * double), line by line below.
 */
final class HostStep {
    /** A projection as the step multiplies it: {@code y = x·Wᵀ} for {@code tokens} rows. */
    private interface Product {
        void multiply(float[] x, int tokens, float[] y, int threads);
    }

    private record Layer(FloatBuffer inputNorm, Product qkv, Product out, FloatBuffer postNorm, Product gateUp,
            Product down) {}

    private final int hidden;
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final int ffn;
    private final int vocab;
    private final float eps;
    private final float[] invFreq;
    private final float scale;
    private final FloatMatrix embed;
    private final Layer[] layers;
    private final FloatBuffer norm;
    private final Product lmHead;
    private final boolean callsEngine;
    /** Per thread, the step's working rows: a step allocates only the logits it returns. */
    private final ThreadLocal<Scratch> scratch;

    private HostStep(LlamaConfig config, FloatMatrix embed, Layer[] layers, FloatBuffer norm, Product lmHead,
            boolean callsEngine) {
        this.hidden = config.hiddenSize();
        this.heads = config.numAttentionHeads();
        this.kvHeads = config.numKeyValueHeads();
        this.headDim = config.headDim();
        this.ffn = config.intermediateSize();
        this.vocab = config.vocabSize();
        this.eps = (float) config.rmsNormEps();
        this.invFreq = RotaryEmbedding.inverseFrequencies(config);
        this.scale = RotaryEmbedding.qkScale(headDim);
        this.embed = embed;
        this.layers = layers;
        this.norm = norm;
        this.lmHead = lmHead;
        this.callsEngine = callsEngine;
        this.scratch = ThreadLocal.withInitial(Scratch::new);
    }

    /**
     * @return the step for these weights, or null when some array cannot be read in place (a GPU, a matrix over 2³¹
     *     bytes) or the JVM lacks the Vector API module
     */
    static HostStep of(LlamaConfig config, NDArray embedTokens, List<DecoderLayer> decoderLayers, RmsNorm finalNorm,
            Matrix lmHead, boolean halfOnEngine) {
        if (!Int8Matrix.available() || !FloatMatrix.viewable(embedTokens) || product(lmHead, halfOnEngine) == null) {
            return null;
        }
        Layer[] layers = new Layer[decoderLayers.size()];
        for (int i = 0; i < layers.length; i++) {
            DecoderLayer l = decoderLayers.get(i);
            Product qkv = product(l.attention().qkv(), halfOnEngine);
            Product out = product(l.attention().out(), halfOnEngine);
            Product gateUp = product(l.mlp().gateUp(), halfOnEngine);
            Product down = product(l.mlp().down(), halfOnEngine);
            FloatBuffer in = vector(l.inputNorm().weight());
            FloatBuffer post = vector(l.postAttentionNorm().weight());
            if (qkv == null || out == null || gateUp == null || down == null || in == null || post == null) {
                return null;
            }
            layers[i] = new Layer(in, qkv, out, post, gateUp, down);
        }
        FloatBuffer norm = vector(finalNorm.weight());
        return norm == null ? null
                : new HostStep(config, FloatMatrix.of(embedTokens), layers, norm, product(lmHead, halfOnEngine),
                        halfOnEngine);
    }

    /** @param halfOnEngine whether float16 weights go through {@link #onEngine} */
    private static Product product(Matrix m, boolean halfOnEngine) {
        if (m instanceof Matrix.Int8 q) {
            return (x, tokens, y, threads) -> q.weight().multiply(x, tokens, threads, y);
        }
        Matrix.Dense dense = (Matrix.Dense) m;
        FloatMatrix host = dense.host();
        if (host == null) {
            return null;
        }
        return halfOnEngine && host.half() ? onEngine(dense.weight())
                : (x, tokens, y, threads) -> host.multiply(x, tokens, threads, y);
    }

    /**
     * Float16 weights multiplied by the engine ({@link Ops#linear}: the activations rounded to float16, the product
     * widened back, on the engine's threads), in a scope closed after each product: where the engine streams float16
     * faster than Java does ({@link LlamaModel#halfProductsOnEngine}). Six engine calls per product (an array, its
     * memory, two casts, {@code linear}, the product's memory), against the ~40 calls per layer of the engine's pass.
     */
    private static Product onEngine(NDArray weight) {
        int rows = (int) weight.getShape().get(0);
        int cols = (int) weight.getShape().get(1);
        return (x, tokens, y, threads) -> {
            try (NDManager scope = weight.getManager().newSubManager()) {
                NDArray product = Ops.linear(Ops.fromHost(scope, x, new Shape(tokens, cols)), weight);
                Ops.toHost(product, y, tokens * rows);
            }
        };
    }

    /** @return whether the products call the engine (float16 weights on it), so that the caller turns autograd off */
    boolean callsEngine() {
        return callsEngine;
    }

    /** @return a float32 vector on the CPU read in place, or null */
    private static FloatBuffer vector(NDArray v) {
        if (v.getDataType() != DataType.FLOAT32 || v.getDevice().isGpu()) {
            return null;
        }
        return v.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    /** The working rows of one thread's steps, for up to {@link #rows} tokens. */
    private final class Scratch {
        int rows;
        float[] h;
        float[] x;
        float[] qkv;
        float[] attended;
        float[] projected;
        float[] gateUp;
        float[] act;
        float[] cos;
        float[] sin;
        float[][] scores = new float[1][256];

        Scratch fit(int t) {
            if (t > rows) {
                rows = t;
                h = new float[t * hidden];
                x = new float[t * Math.max(hidden, heads * headDim)];
                qkv = new float[t * (heads + 2 * kvHeads) * headDim];
                attended = new float[t * heads * headDim];
                projected = new float[t * hidden];
                gateUp = new float[t * 2 * ffn];
                act = new float[t * ffn];
                cos = new float[t * headDim];
                sin = new float[t * headDim];
            }
            return this;
        }
    }

    /**
     * Cache positions from which a step's attention is split by query heads across the product threads: below, the
     * hand-over costs more than it saves.
     */
    private static final int PARALLEL_ATTENTION = 256;

    /** The most tokens one call takes: a speculative check, a short append; prompts take the engine's pass. */
    static final int MAX_ROWS = 16;

    /**
     * Appends {@code tokens} (at most {@link #MAX_ROWS}) at positions {@code [position, position + T)}: writes their
     * keys and values into {@code cache} (which has room for them) and returns the logits after each of them, or
     * after the last.
     *
     * @param threads the threads the products may use (the caller's among them)
     * @param allRows every row's logits when true, the last row's only when false
     * @return {@code [T or 1][vocab]}
     */
    float[][] run(int[] tokens, int position, KvCache cache, int threads, boolean allRows) {
        int t = tokens.length;
        Scratch s = scratch.get().fit(t);
        int qkvWidth = (heads + 2 * kvHeads) * headDim;
        int q = heads * headDim;
        int kv = kvHeads * headDim;
        float[] h = s.h;
        for (int r = 0; r < t; r++) {
            RotaryEmbedding.row(invFreq, position + r, scale, s.cos, s.sin, r * headDim); // cos, sin of the position
            embed.row(tokens[r], h, r * hidden); //                              inputs_embeds = embed_tokens(input_ids)
        }
        for (int l = 0; l < layers.length; l++) {
            Layer layer = layers[l];
            rmsNorm(h, layer.inputNorm(), s.x, t); //                                  input_layernorm(hidden_states)
            layer.qkv().multiply(s.x, t, s.qkv, threads); //                      q_proj(x), k_proj(x), v_proj(x)
            ByteBuffer keys = cache.hostKeys(l);
            ByteBuffer values = cache.hostValues(l);
            for (int r = 0; r < t; r++) {
                int row = r * qkvWidth;
                for (int head = 0; head < heads + kvHeads; head++) { //         apply_rotary_pos_emb(q, k, cos, sin)
                    rotate(s.qkv, row + head * headDim, s.cos, s.sin, r * headDim);
                }
                keys.asFloatBuffer().put((position + r) * kv, s.qkv, row + q, kv); // past_key_value.update(k, v)
                values.asFloatBuffer().put((position + r) * kv, s.qkv, row + q + kv, kv);
            }
            for (int r = 0; r < t; r++) { //                                   each row sees the positions up to its own
                attend(s, keys, values, position + r + 1, threads, r * qkvWidth, r * q);
            }
            layer.out().multiply(s.attended, t, s.projected, threads); //                        o_proj(attn_output)
            add(h, s.projected, t * hidden); //                                      hidden_states = residual + .
            rmsNorm(h, layer.postNorm(), s.x, t); //                          post_attention_layernorm(hidden_states)
            layer.gateUp().multiply(s.x, t, s.gateUp, threads); //                        gate_proj(x), up_proj(x)
            for (int r = 0; r < t; r++) {
                HostVectors.swiGlu(s.gateUp, r * 2 * ffn, ffn, s.act, r * ffn); // act_fn(gate_proj(x)) * up_proj(x)
            }
            layer.down().multiply(s.act, t, s.projected, threads); //                                    down_proj(.)
            add(h, s.projected, t * hidden); //                                      hidden_states = residual + .
        }
        int from = allRows ? 0 : t - 1;
        int n = t - from;
        if (from > 0) {
            System.arraycopy(h, from * hidden, h, 0, hidden); // only the last position's logits are needed
        }
        rmsNorm(h, norm, s.x, n); //                                                                 norm(hidden_states)
        float[] flat = new float[n * vocab];
        lmHead.multiply(s.x, n, flat, threads); //                                                   lm_head(.)
        float[][] logits = new float[n][];
        for (int r = 0; r < n; r++) {
            logits[r] = n == 1 ? flat : java.util.Arrays.copyOfRange(flat, r * vocab, (r + 1) * vocab);
        }
        return logits;
    }

    /** {@code x·cos + rotate_half(x)·sin} for the head at {@code at}, in place; rotate_half swaps the halves. */
    private void rotate(float[] v, int at, float[] cos, float[] sin, int c) {
        int half = headDim / 2;
        for (int i = 0; i < half; i++) {
            float a = v[at + i];
            float b = v[at + half + i];
            v[at + i] = a * cos[c + i] + b * sin[c + i];
            v[at + half + i] = b * cos[c + half + i] + a * sin[c + half + i];
        }
    }

    /**
     * Attention of the step's query heads over the cache's first {@code length} positions: {@code softmax(q·kᵀ)·v}
     * per head ({@code 1/√d} is in the rotation), query head h reading key/value head {@code h / (H / KV)}
     * ({@code repeat_kv}).
     */
    private void attend(Scratch s, ByteBuffer keys, ByteBuffer values, int length, int threads, int qRow,
            int outRow) {
        int parts = length < PARALLEL_ATTENTION ? 1 : Math.min(Math.min(threads, heads),
                SpinPool.shared().parallelism());
        if (s.scores.length < parts || s.scores[0].length < length) {
            s.scores = new float[parts][Math.max(length, 2 * s.scores[0].length)];
        }
        if (parts == 1) {
            attendHeads(s, keys, values, length, s.scores[0], 0, heads, qRow, outRow);
        } else {
            SpinPool.shared().run(parts, p -> attendHeads(s, keys, values, length, s.scores[p], heads * p / parts,
                    heads * (p + 1) / parts, qRow, outRow));
        }
    }

    /** {@link #attend} for query heads {@code [from, to)}, with {@code scores} of room for {@code length}. */
    private void attendHeads(Scratch s, ByteBuffer keys, ByteBuffer values, int length, float[] scores, int from,
            int to, int qRow, int outRow) {
        int group = heads / kvHeads;
        int stride = kvHeads * headDim;
        for (int head = from; head < to; head++) {
            int qAt = qRow + head * headDim;
            int kvAt = (head / group) * headDim;
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < length; j++) { //                           attn_weights = q @ kᵀ (scaled by the rotation)
                float dot = HostVectors.dot(s.qkv, qAt, keys, j * stride + kvAt, headDim);
                scores[j] = dot;
                max = Math.max(max, dot);
            }
            double sum = HostVectors.expShifted(scores, length, max); // softmax(attn_weights, dim=-1, dtype=float32)
            float inv = (float) (1 / sum);
            int out = outRow + head * headDim;
            java.util.Arrays.fill(s.attended, out, out + headDim, 0f);
            for (int j = 0; j < length; j++) { //                                            attn_weights @ v
                HostVectors.addScaled(scores[j] * inv, values, j * stride + kvAt, s.attended, out, headDim);
            }
        }
    }

    /** {@code weight · x / √(mean(x²) + eps)} for each of {@code t} rows, into {@code out} (HF {@code LlamaRMSNorm}). */
    private void rmsNorm(float[] x, FloatBuffer weight, float[] out, int t) {
        for (int row = 0; row < t; row++) {
            int at = row * hidden;
            double squares = 0;
            for (int i = 0; i < hidden; i++) {
                squares += x[at + i] * x[at + i];
            }
            float r = (float) (1 / Math.sqrt((float) (squares / hidden) + eps));
            for (int i = 0; i < hidden; i++) {
                out[at + i] = weight.get(i) * (x[at + i] * r);
            }
        }
    }

    private static void add(float[] h, float[] y, int n) {
        for (int i = 0; i < n; i++) {
            h[i] += y[i];
        }
    }
}
