package dev.ivl.djl.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import dev.ivl.djl.quant.Int8Matrix;
import java.util.function.Supplier;

/**
 * A weight matrix {@code [out, in]} as the forward pass multiplies it: {@code residual + x @ Wᵀ}
 * ({@code torch.nn.functional.linear}), on the engine for float weights, in Java for int8 ones.
 */
sealed interface Matrix {
    /**
     * @param x activations {@code [T, in]}
     * @param residual {@code [T, out]} added to the product, or null
     * @return {@code [T, out]} in x's dtype
     */
    NDArray times(NDArray x, NDArray residual);

    /**
     * Float32 or float16 weights on the engine.
     *
     * @param weight {@code [out, in]}
     */
    record Dense(NDArray weight) implements Matrix {
        @Override
        public NDArray times(NDArray x, NDArray residual) {
            return Ops.linear(x, weight, residual);
        }
    }

    /**
     * Int8 weights with a scale per output row, multiplied on the CPU by {@link Int8Matrix}: the activations are
     * copied out of the engine, multiplied in float32 and copied back, on as many threads as {@link #engineAlone}
     * granted (one outside it).
     *
     * @param weight the quantized matrix
     */
    record Int8(Int8Matrix weight) implements Matrix {
        private static final ThreadLocal<Integer> THREADS = new ThreadLocal<>();

        /**
         * Runs a forward pass of an int8 model: its products get the engine's intra-op threads (one within a
         * {@link WorkShare}: the share is the parallelism), while the engine runs its own small ops on this thread
         * alone, so that no engine worker spins on a core a product's worker needs (at the TinyLlama shape on 2
         * cores, 68.6 against 53.5 ms per token with the engine's workers merely told to sleep when idle).
         */
        static <T> T engineAlone(Supplier<T> pass) {
            int threads = WorkShare.current() != null ? 1 : JniUtils.getNumThreads();
            if (threads == 1) {
                return pass.get();
            }
            THREADS.set(threads);
            JniUtils.setNumThreads(1);
            try {
                return pass.get();
            } finally {
                JniUtils.setNumThreads(threads);
                THREADS.remove();
            }
        }

        /** Per thread, the input and output rows of the last products: a decode step allocates nothing. */
        private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[2][]);
        /** Buffers above this many floats (a long prompt's logits) are not kept between products. */
        private static final int KEPT_FLOATS = 1 << 22;

        @Override
        public NDArray times(NDArray x, NDArray residual) {
            int tokens = (int) x.getShape().get(0);
            int inSize = tokens * weight.cols();
            int outSize = tokens * weight.rows();
            float[] in = scratch(0, inSize);
            float[] out = scratch(1, outSize);
            // read and write the engine's memory through views: copies, but no Java array per product (with a
            // heap that grew per product, a prompt ran at 44 tokens/s instead of 65 at the TinyLlama shape)
            x.toType(DataType.FLOAT32, false).toByteBuffer(true).asFloatBuffer().get(in, 0, inSize);
            Integer granted = THREADS.get();
            weight.multiply(in, tokens, granted == null ? 1 : granted, out);
            NDArray product = x.getManager().create(new Shape(tokens, weight.rows()), DataType.FLOAT32);
            product.toByteBuffer(true).asFloatBuffer().put(out, 0, outSize);
            return residual == null ? product : residual.add(product);
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
}
