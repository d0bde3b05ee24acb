package dev.ivl.djl.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * The keys and values of one sequence, per layer, in preallocated device buffers {@code [capacity, kvHeads,
 * headDim]}, position-major, so that a step's keys {@code [T, kvHeads, headDim]} are written with one slice and one
 * copy. Tokens are written in place at their positions; reading returns views of the filled prefix. The
 * buffers grow by doubling (one copy, amortised) up to the model's context, so a short chat does not reserve the
 * whole context.
 */
final class KvCache implements AutoCloseable {
    private static final int INITIAL_CAPACITY = 256;

    private final NDManager manager;
    private final DataType dtype;
    private final int kvHeads;
    private final int headDim;
    private final int maxCapacity;
    private final NDArray[] keys;
    private final NDArray[] values;
    private int capacity;

    /**
     * @param config the model configuration
     * @param maxCapacity the most positions the cache may hold
     * @param manager owns the buffers (the session's manager)
     * @param dtype the compute dtype
     */
    KvCache(LlamaConfig config, int maxCapacity, NDManager manager, DataType dtype) {
        this.manager = manager;
        this.dtype = dtype;
        this.kvHeads = config.numKeyValueHeads();
        this.headDim = config.headDim();
        this.maxCapacity = maxCapacity;
        this.keys = new NDArray[config.numHiddenLayers()];
        this.values = new NDArray[config.numHiddenLayers()];
    }

    /**
     * Makes room for {@code length} positions, keeping the first {@code filled}.
     *
     * @param length positions needed, at most the maximum capacity
     * @param filled positions holding data
     */
    void reserve(int length, int filled) {
        if (length <= capacity) {
            return;
        }
        int next = Math.min(maxCapacity, Math.max(length, Math.max(INITIAL_CAPACITY, capacity * 2)));
        for (int l = 0; l < keys.length; l++) {
            keys[l] = regrow(keys[l], next, filled);
            values[l] = regrow(values[l], next, filled);
        }
        capacity = next;
    }

    private NDArray regrow(NDArray old, int next, int filled) {
        NDArray grown = manager.zeros(new Shape(next, kvHeads, headDim), dtype);
        NDScope.unregister(grown); // lives as long as the session, not the step
        if (old != null) {
            if (filled > 0) {
                Ops.setRows(grown, 0, Ops.rows(old, 0, filled));
            }
            old.close();
        }
        return grown;
    }

    /**
     * Writes keys and values {@code [T, kvHeads, headDim]} at positions {@code [position, position + T)} of a
     * layer (HF {@code past_key_value.update}).
     */
    void write(int layer, NDArray k, NDArray v, int position) {
        Ops.setRows(keys[layer], position, k);
        Ops.setRows(values[layer], position, v);
    }

    /** @return a view of the layer's keys at positions {@code [0, length)}: {@code [length, kvHeads, headDim]} */
    NDArray keys(int layer, int length) {
        return Ops.rows(keys[layer], 0, length);
    }

    /** @return a view of the layer's values at positions {@code [0, length)}: {@code [length, kvHeads, headDim]} */
    NDArray values(int layer, int length) {
        return Ops.rows(values[layer], 0, length);
    }

    @Override
    public void close() {
        for (int l = 0; l < keys.length; l++) {
            if (keys[l] != null) {
                keys[l].close();
                values[l].close();
                keys[l] = null;
                values[l] = null;
            }
        }
        capacity = 0;
    }
}
