package dev.ivl.djl.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.ivl.djl.quant.Int8Matrix;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

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
     * Float32 or float16 weights on the engine. Within a {@link KernelPass}, a product of float32 weights with 2 to
     * {@value KernelPass#MAX_ROWS} rows on the CPU runs in Java ({@link Float32Kernel}), reading the weights from the
     * engine's memory.
     *
     * @param weight {@code [out, in]}
     */
    record Dense(NDArray weight) implements Matrix {
        @Override
        public NDArray times(NDArray x, NDArray residual) {
            if (KernelPass.threads() != null && KernelPass.takes(x, weight)) {
                int tokens = (int) x.getShape().get(0);
                int padded = (tokens + 3) / 4 * 4; // the kernel's tiles are four rows tall
                int cols = (int) weight.getShape().get(1);
                int rows = (int) weight.getShape().get(0);
                ByteBuffer w = weight.toByteBuffer(true).order(ByteOrder.nativeOrder()); // a view: weight is contiguous
                return KernelPass.product(x, cols, rows, padded,
                        (in, out, threads) -> Float32Kernel.multiply(w, cols, rows, in, padded, threads, out), residual);
            }
            return Ops.linear(x, weight, residual);
        }
    }

    /**
     * Int8 weights with a scale per output row, multiplied on the CPU by {@link Int8Matrix}: the activations are
     * copied out of the engine, multiplied in float32 and copied back, on the threads a {@link KernelPass} granted
     * (one outside a pass).
     *
     * @param weight the quantized matrix
     */
    record Int8(Int8Matrix weight) implements Matrix {
        @Override
        public NDArray times(NDArray x, NDArray residual) {
            int tokens = (int) x.getShape().get(0);
            return KernelPass.product(x, weight.cols(), weight.rows(), tokens,
                    (in, out, threads) -> weight.multiply(in, tokens, threads, out), residual);
        }
    }
}
