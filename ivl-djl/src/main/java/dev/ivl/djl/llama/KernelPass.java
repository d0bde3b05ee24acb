package dev.ivl.djl.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import dev.ivl.djl.quant.FloatMatrix;
import dev.ivl.djl.quant.Int8Matrix;
import java.util.function.Supplier;

/**
 * A forward pass whose matrix products run in ivl's Java kernels: always for int8 weights, and for float32 or float16
 * weights on the CPU when a pass has 2 to {@value #MAX_ROWS} rows (a batched decode step, a speculative check, a
 * prompt of up to that many tokens).
 * During the pass the products get the engine's intra-op threads (one within a {@link WorkShare}: the share is the
 * parallelism), while the engine runs its own small ops on the calling thread alone, so that no engine worker spins on
 * a core a product's worker needs (int8 at the TinyLlama shape on 2 cores: 68.6 against 53.5 ms per token with the
 * engine's workers merely told to sleep when idle).
 */
final class KernelPass {
    /**
     * Rows up to which Java's products are used: at the TinyLlama shape on 2 cores they beat the engine's at every row
     * count measured (float32 prompts of 32, 64 and 128 tokens: 76, 82 and 93 tokens/s against 41, 57 and 76; float16
     * prompts of 32 and 128: 82 and 104 against 31 and 33). At 512 tokens neither way passes 31 tokens/s.
     */
    static final int MAX_ROWS = 128;

    /**
     * Weights (a 512 × 512 matrix) below which a product stays on the engine: for such matrices the copies in
     * and out cost more than the product (the facts study's toy models decoded 1,119 tokens/s with the engine's
     * products against 867 with the kernel's).
     */
    static final long MIN_WEIGHTS = 1 << 18;

    private static final ThreadLocal<Integer> THREADS = new ThreadLocal<>();
    /** Per thread, the input and output rows of the last products: a decode step allocates nothing. */
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[2][]);
    /** Buffers above this many floats (a long prompt's logits) are not kept between products. */
    private static final int KEPT_FLOATS = 1 << 22;

    private KernelPass() {}

    /**
     * @param rows the rows of the pass
     * @param weights the weight dtype of the model
     * @param gpu whether the model runs on a GPU
     * @return whether a pass of these rows runs its products in Java
     */
    static boolean wanted(int rows, DataType weights, boolean gpu) {
        if (weights == DataType.INT8) {
            return true;
        }
        return (weights == DataType.FLOAT32 || weights == DataType.FLOAT16) && !gpu && rows >= 2 && rows <= MAX_ROWS
                && WorkShare.current() == null && Int8Matrix.available();
    }

    /** Runs {@code pass} as a kernel pass. */
    static <T> T run(Supplier<T> pass) {
        THREADS.set(WorkShare.productThreads());
        try {
            return engineAlone(pass);
        } finally {
            THREADS.remove();
        }
    }

    /**
     * Runs {@code pass} with the engine on the calling thread alone: its intra-op threads set to one for the pass,
     * then restored.
     */
    static <T> T engineAlone(Supplier<T> pass) {
        int threads = JniUtils.getNumThreads();
        if (threads == 1) {
            return pass.get();
        }
        JniUtils.setNumThreads(1);
        try {
            return pass.get();
        } finally {
            JniUtils.setNumThreads(threads);
        }
    }

    /** @return the threads the current kernel pass grants its products, or null outside a pass */
    static Integer threads() {
        return THREADS.get();
    }

    /**
     * @return whether Java's product takes {@code x @ wᵀ}: float32 activations on the CPU, 2 to {@value #MAX_ROWS}
     *     rows, and a matrix of at least {@value #MIN_WEIGHTS} weights. A single row is a decode step, which runs in
     *     Java as a whole ({@link HostStep}) or, where the engine streams its weights faster (large float16 layers:
     *     52–55 GB/s on the project's two cores against Java's 42–45), on the engine.
     */
    static boolean takes(NDArray x, FloatMatrix w) {
        long rows = x.getShape().get(0);
        return x.getDataType() == DataType.FLOAT32 && !x.getDevice().isGpu() && rows >= 2 && rows <= MAX_ROWS
                && (long) w.rows() * w.cols() >= MIN_WEIGHTS;
    }

    /** A product in Java: {@code out = in · Wᵀ} on up to {@code threads} threads. */
    interface Product {
        void multiply(float[] in, float[] out, int threads);
    }

    /**
     * {@code residual + x @ Wᵀ} through a Java product: the activations are copied out of the engine (as float32),
     * multiplied, and the result copied back.
     *
     * @param x {@code [T, cols]}
     * @param cols W's columns
     * @param rows W's rows
     * @param residual {@code [T, rows]}, or null
     * @return {@code [T, rows]}, float32
     */
    static NDArray product(NDArray x, int cols, int rows, Product product, NDArray residual) {
        int tokens = (int) x.getShape().get(0);
        float[] in = scratch(0, tokens * cols);
        float[] out = scratch(1, tokens * rows);
        // read and write the engine's memory through views: copies, but no Java array per product (with a heap that
        // grew per product, an int8 prompt ran at 44 tokens/s instead of 65 at the TinyLlama shape)
        Ops.toHost(x.toType(DataType.FLOAT32, false), in, tokens * cols);
        Integer granted = THREADS.get();
        product.multiply(in, out, granted == null ? 1 : granted);
        NDArray result = Ops.fromHost(x.getManager(), out, new Shape(tokens, rows));
        return residual == null ? result : residual.add(result);
    }

    private static float[] scratch(int which, int size) {
        float[][] kept = SCRATCH.get();
        if (kept[which] != null && kept[which].length >= size) {
            return kept[which];
        }
        float[] fresh = new float[size];
        if (size <= KEPT_FLOATS) {
            kept[which] = fresh;
        }
        return fresh;
    }
}
