package dev.ivl.djl.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.jni.JniUtils;
import java.nio.ByteOrder;
import java.util.Arrays;

/** Small tensor helpers shared by the LLaMA blocks. */
final class Ops {
    private Ops() {}

    /**
     * {@code torch.nn.functional.linear(x, w)}: {@code x @ wᵀ}, with {@code w} in the checkpoint's
     * {@code [out, in]} layout.
     *
     * <p>A single row on the CPU (a decode step) is computed as a batched product over {@code n} equal blocks of
     * {@code w}'s rows, {@code n} being the engine's intra-op threads: the engine runs the vector product of one
     * row on one thread whatever its thread count, while it spreads a batch over its threads, so each thread then
     * streams its share of the weights (about 1.5× faster on 2 cores). Each output is the same dot product either
     * way. On a thread taking part in a {@link WorkShare}, any number of rows goes through the share instead.
     * Weights of another dtype than {@code x} (float16 weights with float32 activations) are multiplied in theirs,
     * as one {@code linear}: for float16 that is faster than the row blocks (48.6 against 54.0 ms per TinyLlama step).
     */
    static NDArray linear(NDArray x, NDArray w) {
        return linear(x, w, null);
    }

    /**
     * {@code residual + x @ wᵀ}, the residual connection after a projection. Where the product is the engine's
     * {@code linear}, the residual goes in as its bias (one {@code addmm}: the sum is accumulated with the product
     * and rounded once); otherwise it is added after.
     *
     * @param residual {@code [rows, out]}, or null for the plain product
     */
    static NDArray linear(NDArray x, NDArray w, NDArray residual) {
        DataType activations = x.getDataType();
        if (w.getDataType() != activations) {
            // float16 weights, float32 activations (the CPU's half mode): the product reads the weights as stored
            // and the activations rounded to float16, accumulates in float32, and its float16 result is widened,
            // by the residual sum's type promotion when there is one (one op instead of a cast and a sum)
            NDArray product = linear(x.toType(w.getDataType(), false), w, null);
            return residual == null ? product.toType(activations, false) : residual.add(product);
        }
        long out = w.getShape().get(0);
        WorkShare share = x.getDevice().isGpu() ? null : WorkShare.current();
        if (share != null) {
            return plus(share.linear(x, w), residual);
        }
        long b = x.getShape().get(0);
        if (b <= ROW_BLOCK_ROWS && !x.getDevice().isGpu() && activations == DataType.FLOAT32) {
            int n = JniUtils.getNumThreads();
            if (n > 1 && out % n == 0) {
                long in = w.getShape().get(1);
                NDArray rows = x.reshape(1, b, in).broadcast(n, b, in); //       [n, B, in], a view of x
                NDArray blocks = w.reshape(n, out / n, in).transpose(0, 2, 1); // [n, in, out / n], a view of w
                NDArray product = rows.matMul(blocks); //                        [n, B, out / n]
                return plus(b == 1 ? product.reshape(1, out) : product.transpose(1, 0, 2).reshape(b, out), residual);
            }
        }
        return x.getNDArrayInternal().linear(x, w, residual).singletonOrThrow();
    }

    private static NDArray plus(NDArray product, NDArray residual) {
        return residual == null ? product : residual.add(product);
    }

    private static final long[] STEP = {1};
    /** Rows up to which the row blocks beat one {@code linear} (a batched decode step's; measured at cpu-base). */
    private static final long ROW_BLOCK_ROWS = 8;

    /**
     * {@code a[from:to]}, a view of rows along the first axis, in one engine call (an {@code NDIndex} takes
     * several).
     */
    static NDArray rows(NDArray a, long from, long to) {
        return JniUtils.index((PtNDArray) a, new long[] {from}, new long[] {to}, STEP, (PtNDManager) a.getManager());
    }

    /** {@code a[:ends[0], :ends[1], …]}, a view of a leading block, in one engine call. */
    static NDArray slice(NDArray a, long[] ends) {
        return JniUtils.index((PtNDArray) a, new long[ends.length], ends, ones(ends.length), (PtNDManager) a.getManager());
    }

    private static long[] ones(int n) {
        long[] ones = new long[n];
        Arrays.fill(ones, 1);
        return ones;
    }

    /**
     * A float32 array of {@code shape} holding {@code values}' first elements, attached to {@code manager}. On the CPU
     * the array is made empty and written in place: creating it from a Java array would allocate a direct buffer per
     * call, which only a garbage collection frees (a float16 step's products, which pass their rows this way, slowed
     * from the floor plus 1 ms to the floor plus 12 ms as such buffers piled up).
     *
     * @param values at least {@code shape.size()} values, row-major
     */
    static NDArray fromHost(NDManager manager, float[] values, Shape shape) {
        int n = Math.toIntExact(shape.size());
        if (manager.getDevice().isGpu()) {
            return manager.create(java.nio.FloatBuffer.wrap(values, 0, n), shape);
        }
        NDArray array = manager.create(shape, DataType.FLOAT32);
        array.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer().put(values, 0, n);
        return array;
    }

    /**
     * Copies the first {@code count} values of a float32 array on the CPU into {@code into}, read in place.
     *
     * @param a a float32 array on the CPU
     */
    static void toHost(NDArray a, float[] into, int count) {
        a.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer().get(into, 0, count);
    }

    /** {@code a[from:from + value.rows] = value}, in place, in one engine call. */
    static void setRows(NDArray a, long from, NDArray value) {
        JniUtils.indexSet((PtNDArray) a, (PtNDArray) value, new long[] {from},
                new long[] {from + value.getShape().get(0)}, STEP);
    }
}
