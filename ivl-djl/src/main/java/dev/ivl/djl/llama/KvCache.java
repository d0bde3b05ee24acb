package dev.ivl.djl.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * The keys and values of one sequence, per layer, in preallocated device buffers {@code [capacity, kvHeads,
 * headDim]}, position-major, so that a step's keys {@code [T, kvHeads, headDim]} are written in one engine call.
 * Tokens are written in place at their positions; reading returns views of the filled prefix arranged by head, as
 * attention multiplies them (keys {@code [kvHeads, headDim, length]}, values {@code [kvHeads, length, headDim]}),
 * cut in one call from views of the whole buffers made when they are allocated. The
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
    private final NDArray[] keysByHead; //   views of keys as [kvHeads, headDim, capacity], for q @ kᵀ
    private final NDArray[] valuesByHead; // views of values as [kvHeads, capacity, headDim], for p @ v
    private final java.nio.ByteBuffer[] hostKeys; //   the buffers as Java reads them (float32 on the CPU), else null
    private final java.nio.ByteBuffer[] hostValues;
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
        this.keysByHead = new NDArray[config.numHiddenLayers()];
        this.valuesByHead = new NDArray[config.numHiddenLayers()];
        this.hostKeys = new java.nio.ByteBuffer[config.numHiddenLayers()];
        this.hostValues = new java.nio.ByteBuffer[config.numHiddenLayers()];
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
            if (keysByHead[l] != null) {
                keysByHead[l].close();
                valuesByHead[l].close();
            }
            keys[l] = regrow(keys[l], next, filled);
            values[l] = regrow(values[l], next, filled);
            keysByHead[l] = persistent(keys[l].transpose(1, 2, 0));
            valuesByHead[l] = persistent(values[l].transpose(1, 0, 2));
            hostKeys[l] = hostView(keys[l]);
            hostValues[l] = hostView(values[l]);
        }
        capacity = next;
    }

    private java.nio.ByteBuffer hostView(NDArray buffer) {
        return dtype == DataType.FLOAT32 && !buffer.getDevice().isGpu()
                ? buffer.toByteBuffer(true).order(java.nio.ByteOrder.nativeOrder()) : null;
    }

    private static NDArray persistent(NDArray array) {
        NDScope.unregister(array); // lives as long as the session, not the step
        return array;
    }

    private NDArray regrow(NDArray old, int next, int filled) {
        NDArray grown = persistent(manager.zeros(new Shape(next, kvHeads, headDim), dtype));
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

    /**
     * @return the layer's keys {@code [capacity, kvHeads, headDim]} as Java reads and writes them in place (float32
     *     on the CPU, in the platform's byte order; null otherwise), once {@link #reserve} made room
     */
    java.nio.ByteBuffer hostKeys(int layer) {
        return hostKeys[layer];
    }

    /** @return the layer's values, as {@link #hostKeys} */
    java.nio.ByteBuffer hostValues(int layer) {
        return hostValues[layer];
    }

    /** @return a view of the layer's keys at positions {@code [0, length)}: {@code [kvHeads, headDim, length]} */
    NDArray keys(int layer, int length) {
        return Ops.slice(keysByHead[layer], new long[] {kvHeads, headDim, length});
    }

    /** @return a view of the layer's values at positions {@code [0, length)}: {@code [kvHeads, length, headDim]} */
    NDArray values(int layer, int length) {
        return Ops.slice(valuesByHead[layer], new long[] {kvHeads, length, headDim});
    }

    @Override
    public void close() {
        for (int l = 0; l < keys.length; l++) {
            if (keys[l] != null) {
                keysByHead[l].close();
                valuesByHead[l].close();
                keys[l].close();
                values[l].close();
                keys[l] = null;
                values[l] = null;
                hostKeys[l] = null;
                hostValues[l] = null;
            }
        }
        capacity = 0;
    }
}
