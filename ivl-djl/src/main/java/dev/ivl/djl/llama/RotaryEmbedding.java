package dev.ivl.djl.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;

/**
 * Rotary position embedding, as HF {@code LlamaRotaryEmbedding} with {@code apply_rotary_pos_emb}:
 * {@code x·cos + rotate_half(x)·sin}, with the frequency rules of {@code rope_scaling} ({@code default},
 * {@code linear}, {@code dynamic} NTK and {@code llama3}).
 *
 * <p>cos and sin are tabulated on the model's device for positions {@code [0, capacity)}; the table grows by
 * doubling when a session goes further and is shared by all sessions. The sine table has its first half negated,
 * so that {@code rotate_half(x)·sin = swap_halves(x)·sin'} needs no negation at run time. Both tables are scaled by
 * {@code d^(-1/4)}: rotated queries and keys then carry the attention's {@code 1/√d} between them
 * ({@code (q·s)·(k·s) = q·k/√d}), so attention needs no scaling op of its own.
 *
 * <p>A decode step (one position) rotates with one matrix product instead of five elementwise ops: the rotation
 * of position p is the {@code [d, d]} matrix {@code M_p} with {@code x·M_p = x·cos_p + swap_halves(x)·sin'_p},
 * made once per step from the tables and shared by every layer.
 */
final class RotaryEmbedding implements AutoCloseable {
    private static final int INITIAL_CAPACITY = 512;

    private final NDManager manager;
    private final DataType dtype;
    private final int headDim;
    private final int maxPositions;
    private final RopeScaling scaling;
    private final double theta;
    private final float[] invFreq;
    private final float scale;
    private final int groups; //       G: query heads per key/value head
    private final NDArray identity; // [d, d]
    private final NDArray swap; //     [d, d], S[j][i] = 1 where j is i's index in the other half
    private volatile Table table;
    private final List<NDArray> retired = new ArrayList<>(); // kept until close: other threads may still read them

    private record Table(int capacity, NDArray cos, NDArray sin) {}

    /** How a chunk's query and key heads are rotated: by cos and sine rows, or, for one token, by matrices. */
    sealed interface Rotation permits Tables, Step {}

    /**
     * Rotation by tables: {@code x·cos + rotate_half(x)·sin}.
     *
     * @param cos cos of the rows' positions {@code [T, 1, d]}
     * @param sin sign-folded sine of the rows' positions {@code [T, 1, d]}
     */
    record Tables(NDArray cos, NDArray sin) implements Rotation {
        /**
         * @param x heads {@code [T, n, d]}
         * @return the rotated heads, scaled by {@code d^(-1/4)}, same shape
         */
        NDArray apply(NDArray x) {
            long t = x.getShape().get(0);
            long n = x.getShape().get(1);
            long d = x.getShape().get(2);
            // rotate_half(x) = cat(-x2, x1): the halves swapped here, the sign folded into the sine table
            NDArray swapped = x.reshape(t, n, 2, d / 2).flip(2).reshape(t, n, d);
            return x.mul(cos).add(swapped.mul(sin)); // (x * cos) + (rotate_half(x) * sin)
        }
    }

    /**
     * The rotation of one token, for all of its q, k and v heads in one batched product: the heads, grouped as
     * {@code [G + 2, KV, d]} (G query groups of KV heads, then the key heads, then the value heads), times
     * {@code matrices}, which holds {@code M_p} for the query and key slots and the identity for the value slot:
     * {@code (x @ M_p)_i = x_i·cos_i + x_swap(i)·sin'_i}, the same sums as {@link Tables}.
     *
     * @param matrices {@code [G + 2, d, d]}
     */
    record Step(NDArray matrices) implements Rotation {}

    /**
     * @param config the model configuration
     * @param maxPositions the most positions any session will use
     * @param manager where the tables live
     * @param dtype the compute dtype
     */
    RotaryEmbedding(LlamaConfig config, int maxPositions, NDManager manager, DataType dtype) {
        this.manager = manager;
        this.dtype = dtype;
        this.headDim = config.headDim();
        this.maxPositions = maxPositions;
        this.scaling = config.ropeScaling();
        this.theta = config.ropeTheta();
        this.invFreq = inverseFrequencies(config);
        this.groups = config.numAttentionHeads() / config.numKeyValueHeads();
        this.scale = qkScale(headDim);
        int half = headDim / 2;
        float[] eye = new float[headDim * headDim];
        float[] swapped = new float[headDim * headDim];
        for (int i = 0; i < headDim; i++) {
            eye[i * headDim + i] = 1;
            swapped[((i + half) % headDim) * headDim + i] = 1;
        }
        this.identity = persistent(eye, headDim);
        this.swap = persistent(swapped, headDim);
        // the first table now, not at the first pass that needs it: a model's arrays then stay as loaded while
        // sessions come and go within the first positions (Java steps compute their own rotation)
        grow(Math.min(INITIAL_CAPACITY, maxPositions));
    }

    /**
     * The inverse frequencies {@code 1 / θ^(2i/d)} in float32 as HF computes them, then rescaled: divided by the
     * factor for {@code linear}; for {@code llama3}, low frequencies divided by the factor, high ones kept, and
     * the band between blended smoothly ({@code _compute_llama3_parameters}).
     */
    static float[] inverseFrequencies(LlamaConfig config) {
        int d = config.headDim();
        RopeScaling s = config.ropeScaling();
        float[] inv = baseFrequencies(config.ropeTheta(), d);
        if (s == null) {
            return inv;
        }
        switch (s.type()) {
            case "linear" -> {
                for (int i = 0; i < inv.length; i++) {
                    inv[i] = (float) (inv[i] / s.factor());
                }
            }
            case "llama3" -> {
                double oldContext = s.originalMaxPositionEmbeddings();
                double lowFreqWavelen = oldContext / s.lowFreqFactor();
                double highFreqWavelen = oldContext / s.highFreqFactor();
                for (int i = 0; i < inv.length; i++) {
                    double wavelen = 2 * Math.PI / inv[i];
                    if (wavelen > lowFreqWavelen) {
                        inv[i] = (float) (inv[i] / s.factor()); // long wavelengths: interpolate
                    } else if (wavelen >= highFreqWavelen) { // medium band: blend
                        double smooth = (oldContext / wavelen - s.lowFreqFactor())
                                / (s.highFreqFactor() - s.lowFreqFactor());
                        inv[i] = (float) ((1 - smooth) * inv[i] / s.factor() + smooth * inv[i]);
                    } // short wavelengths: unchanged
                }
            }
            default -> { // "default" and "dynamic" (dynamic changes θ only beyond the original context)
            }
        }
        return inv;
    }

    private static float[] baseFrequencies(double theta, int d) {
        float[] inv = new float[d / 2];
        for (int i = 0; i < inv.length; i++) {
            // 1.0 / (base ** (torch.arange(0, dim, 2).float() / dim)), in float32
            inv[i] = (float) (1.0 / (float) Math.pow(theta, (float) (2 * i) / d));
        }
        return inv;
    }

    /**
     * The rotation of positions {@code [position, position + t)}: the matrices of a single position, else the cos
     * and sign-folded sine rows.
     *
     * @param position the first position
     * @param t the number of positions
     * @return the rotation, shared by every layer of the chunk
     */
    Rotation rotation(int position, int t) {
        NDArray[] cosSin = position + t > dynamicThreshold()
                ? dynamicTable(position, t, manager)
                : slice(position, t);
        if (t == 1) {
            // M = I·cos + S·sin': [d, d] * [1, d] scales column i of I by cos_i and of S by sin'_i
            NDArray m = identity.mul(cosSin[0]).add(swap.mul(cosSin[1]));
            NDArray slots = m.expandDims(0).broadcast(groups + 1, headDim, headDim); // queries and keys: M
            return new Step(NDArrays.concat(new NDList(slots, identity.expandDims(0)), 0)); // values: I
        }
        return tables(cosSin[0], cosSin[1], t);
    }

    /**
     * The rotation of arbitrary positions (packed training rows).
     *
     * @param positions int64 positions {@code [T]}, each below the model's context
     * @param maxPosition the largest of them
     * @return cos and sine rows {@code [T, 1, d]}
     */
    Rotation rotationAt(NDArray positions, int maxPosition) {
        Table tab = table;
        if (tab == null || tab.capacity <= maxPosition) {
            tab = grow(maxPosition + 1);
        }
        long t = positions.getShape().get(0);
        return tables(tab.cos.get(positions), tab.sin.get(positions), t);
    }

    private Tables tables(NDArray cos, NDArray sin, long t) {
        return new Tables(cos.reshape(t, 1, headDim), sin.reshape(t, 1, headDim));
    }

    /**
     * @param end one past the last position a chunk reaches
     * @return whether positions below {@code end} rotate by the static table ({@link #rotationAt} applies);
     *     beyond a dynamic scaling's original context, each chunk's table depends on its length
     */
    boolean staticUpTo(int end) {
        return end <= dynamicThreshold();
    }

    private int dynamicThreshold() {
        if (scaling != null && scaling.type().equals("dynamic")) {
            return scaling.originalMaxPositionEmbeddings();
        }
        return Integer.MAX_VALUE;
    }

    /**
     * Dynamic NTK beyond the original context: θ' = θ·(factor·L/L₀ − (factor − 1))^(d/(d−2)) with L the
     * sequence length reached by this chunk, as {@code _compute_dynamic_ntk_parameters}; computed per chunk.
     */
    private NDArray[] dynamicTable(int position, int t, NDManager target) {
        double seqLen = position + t;
        double original = scaling.originalMaxPositionEmbeddings();
        double base = theta * Math.pow(scaling.factor() * seqLen / original - (scaling.factor() - 1),
                headDim / (headDim - 2.0));
        float[][] tables = tabulate(baseFrequencies(base, headDim), position, t);
        return new NDArray[] {
            target.create(tables[0], new Shape(t, headDim)).toType(dtype, false),
            target.create(tables[1], new Shape(t, headDim)).toType(dtype, false)
        };
    }

    private NDArray[] slice(int position, int t) {
        Table tab = table;
        if (tab == null || tab.capacity < position + t) {
            tab = grow(position + t);
        }
        return new NDArray[] {Ops.rows(tab.cos, position, position + t), Ops.rows(tab.sin, position, position + t)};
    }

    private synchronized Table grow(int needed) {
        Table old = table;
        if (old != null && old.capacity >= needed) {
            return old;
        }
        int capacity = Math.min(maxPositions, Math.max(needed, old == null ? INITIAL_CAPACITY : old.capacity * 2));
        float[][] tables = tabulate(invFreq, 0, capacity);
        table = new Table(capacity, persistent(tables[0], capacity), persistent(tables[1], capacity));
        if (old != null) {
            retired.add(old.cos);
            retired.add(old.sin);
        }
        return table;
    }

    /** A device array in the compute dtype that outlives the caller's step scope. */
    private NDArray persistent(float[] values, int rows) {
        NDArray f32 = manager.create(values, new Shape(rows, headDim));
        NDArray array = f32.toType(dtype, false);
        if (array != f32) {
            f32.close();
        }
        NDScope.unregister(array);
        return array;
    }

    /** @return {@code d^(-1/4)}, the factor on rotated queries and keys: between them the attention's {@code 1/√d} */
    static float qkScale(int headDim) {
        return (float) Math.pow(headDim, -0.25);
    }

    /** cos and sign-folded sin of positions {@code [start, start + count)}, as {@link #row} writes them. */
    private float[][] tabulate(float[] inv, int start, int count) {
        float[] cos = new float[count * headDim];
        float[] sin = new float[count * headDim];
        for (int p = 0; p < count; p++) {
            row(inv, start + p, scale, cos, sin, p * headDim);
        }
        return new float[][] {cos, sin};
    }

    /**
     * The rotation of one position: cos and sign-folded sin of {@code position·inv} (float32 products, as HF), both
     * halves filled, scaled by {@code scale}, into {@code cos} and {@code sin} from {@code at}. The tables and the Java
     * step ({@link HostStep}) both fill their rows here, so they hold the same values.
     *
     * @param inv the inverse frequencies, {@code d/2} of them
     */
    static void row(float[] inv, int position, float scale, float[] cos, float[] sin, int at) {
        int half = inv.length;
        for (int i = 0; i < half; i++) {
            float angle = position * inv[i]; // freqs = inv_freq @ position_ids, float32
            float c = (float) Math.cos(angle) * scale;
            float s = (float) Math.sin(angle) * scale;
            cos[at + i] = c;
            cos[at + half + i] = c;
            sin[at + i] = -s;
            sin[at + half + i] = s;
        }
    }

    @Override
    public synchronized void close() {
        if (table != null) {
            retired.add(table.cos);
            retired.add(table.sin);
            table = null;
        }
        retired.forEach(NDArray::close);
        identity.close();
        swap.close();
        retired.clear();
    }
}
