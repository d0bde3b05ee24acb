package dev.ivl.djl.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.ivl.core.ModelFormatException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Copies tensors out of safetensors files chunk by chunk through two reusable direct buffers: {@code source}
 * receives the file's little-endian bytes, {@code staging} holds the converted values in native order and is
 * handed to the engine. The engine wraps a direct buffer without copying it, so every array built over
 * {@code staging} is copied into engine-owned memory and closed before the buffer is reused: the arrays returned
 * never alias a Java buffer or the file. Not thread-safe.
 */
final class TensorLoader {
    /** The most bytes staged at once, counted in the wider of the source and target types. */
    static final int CHUNK_BYTES = 16 << 20;

    private static final boolean LITTLE_ENDIAN_HOST = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

    private ByteBuffer source;
    private ByteBuffer staging;

    /**
     * Loads a floating-point tensor as {@code target}.
     *
     * @throws ModelFormatException if the tensor is not F32, F16 or BF16, or cannot be read
     * @throws Float16OverflowException if {@code target} is FLOAT16 and a finite value is beyond its range
     */
    NDArray load(SafetensorsFile file, TensorInfo info, NDManager manager, DataType target) {
        Dtype dtype = floatType(file, info);
        long elements = info.elementCount();
        long perChunk = CHUNK_BYTES / Math.max(dtype.bytes(), target.getNumOfBytes());
        // filled as one flat run of elements, chunk by chunk, then viewed with the tensor's shape
        NDArray flat = manager.create(new Shape(elements), target);
        try {
            for (long first = 0; first < elements; first += perChunk) {
                int n = (int) Math.min(perChunk, elements - first);
                try (NDArray staged = stage(file, info, dtype, first, n, manager, target)) {
                    flat.set(new NDIndex("{}:{}", first, first + n), staged);
                }
            }
            return flat.reshape(new Shape(info.shape()));
        } finally {
            flat.close();
        }
    }

    /**
     * Reads a floating-point tensor into a Java array.
     *
     * @throws ModelFormatException if the tensor is not F32, F16 or BF16, is too large for an array, or cannot be
     *     read
     */
    float[] readFloats(SafetensorsFile file, TensorInfo info) {
        Dtype dtype = floatType(file, info);
        float[] values = new float[arrayLength(file, info)];
        int perChunk = CHUNK_BYTES / dtype.bytes();
        for (int at = 0; at < values.length; at += perChunk) {
            int n = Math.min(perChunk, values.length - at);
            ByteBuffer bytes = readSource(file, info, dtype, at, n);
            for (int i = 0; i < n; i++) {
                values[at + i] = decode(dtype, bytes, i);
            }
        }
        return values;
    }

    /**
     * Reads an integer tensor into a Java array.
     *
     * @throws ModelFormatException if the tensor is not I64 or I32, is too large for an array, or cannot be read
     */
    long[] readLongs(SafetensorsFile file, TensorInfo info) {
        Dtype dtype = Dtype.parse(info.dtype());
        if (dtype != Dtype.I64 && dtype != Dtype.I32) {
            throw new ModelFormatException(file.file(), "tensor '" + info.name() + "' has dtype " + info.dtype()
                    + "; only I64 and I32 tensors can be read as integers");
        }
        long[] values = new long[arrayLength(file, info)];
        int perChunk = CHUNK_BYTES / dtype.bytes();
        for (int at = 0; at < values.length; at += perChunk) {
            int n = Math.min(perChunk, values.length - at);
            ByteBuffer bytes = readSource(file, info, dtype, at, n);
            for (int i = 0; i < n; i++) {
                values[at + i] = dtype == Dtype.I64 ? bytes.getLong(8 * i) : bytes.getInt(4 * i);
            }
        }
        return values;
    }

    /** Drops the buffers; the loader can still be used and allocates them again. */
    void release() {
        source = null;
        staging = null;
    }

    private static Dtype floatType(SafetensorsFile file, TensorInfo info) {
        Dtype dtype = Dtype.parse(info.dtype());
        if (dtype == null || !dtype.isLoadableFloat()) {
            throw new ModelFormatException(file.file(), "tensor '" + info.name() + "' has dtype " + info.dtype()
                    + "; only F32, F16 and BF16 tensors can be loaded as floating point");
        }
        return dtype;
    }

    private static int arrayLength(SafetensorsFile file, TensorInfo info) {
        long elements = info.elementCount();
        if (elements > Integer.MAX_VALUE - 8) {
            throw new ModelFormatException(file.file(), "tensor '" + info.name() + "' has " + elements
                    + " elements, too many for a Java array");
        }
        return (int) elements;
    }

    /**
     * Converts elements [first, first + n) into {@code staging} and wraps them in a flat array that aliases
     * {@code staging}: the caller copies and closes it before the next call.
     */
    private NDArray stage(SafetensorsFile file, TensorInfo info, Dtype dtype, long first, int n,
            NDManager manager, DataType target) {
        int bytes = n * target.getNumOfBytes();
        if (staging == null || staging.capacity() < bytes) {
            staging = ByteBuffer.allocateDirect(Math.max(bytes, 1 << 16)).order(ByteOrder.nativeOrder());
        }
        ByteBuffer out = staging.duplicate().order(ByteOrder.nativeOrder());
        out.clear().limit(bytes);
        boolean sameLayout = (dtype == Dtype.F32 && target == DataType.FLOAT32)
                || (dtype == Dtype.F16 && target == DataType.FLOAT16);
        if (sameLayout && LITTLE_ENDIAN_HOST) {
            file.read(out, info.offsetStart() + first * dtype.bytes());
            out.flip();
        } else {
            ByteBuffer in = readSource(file, info, dtype, first, n);
            if (target == DataType.FLOAT32) {
                for (int i = 0; i < n; i++) {
                    out.putFloat(4 * i, decode(dtype, in, i));
                }
            } else {
                for (int i = 0; i < n; i++) {
                    float value = decode(dtype, in, i);
                    short half = HalfFloats.floatToF16(value);
                    if ((half & 0x7fff) == 0x7c00 && Float.isFinite(value)) { // a finite value rounded to ±infinity
                        throw new Float16OverflowException(info.name(), value);
                    }
                    out.putShort(2 * i, half);
                }
            }
        }
        return manager.create(out, new Shape(n), target);
    }

    /** @return a little-endian buffer holding elements [first, first + count) of the tensor, from index 0 */
    private ByteBuffer readSource(SafetensorsFile file, TensorInfo info, Dtype dtype, long first, int count) {
        int bytes = count * dtype.bytes();
        if (source == null || source.capacity() < bytes) {
            source = ByteBuffer.allocateDirect(Math.max(bytes, 1 << 16));
        }
        ByteBuffer in = source.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        in.clear().limit(bytes);
        file.read(in, info.offsetStart() + first * dtype.bytes());
        return in;
    }

    private static float decode(Dtype dtype, ByteBuffer littleEndian, int index) {
        switch (dtype) {
            case F32:
                return littleEndian.getFloat(4 * index);
            case F16:
                return HalfFloats.f16ToFloat(littleEndian.getShort(2 * index));
            case BF16:
                return HalfFloats.bf16ToFloat(littleEndian.getShort(2 * index));
            default:
                throw new IllegalStateException("not a float type: " + dtype);
        }
    }
}
