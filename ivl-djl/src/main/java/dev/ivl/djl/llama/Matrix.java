package dev.ivl.djl.llama;

import ai.djl.ndarray.NDArray;
import dev.ivl.djl.quant.FloatMatrix;
import dev.ivl.djl.quant.Int8Matrix;

/**
 * A weight matrix {@code [out, in]} as the forward pass multiplies it: {@code residual + x @ Wᵀ}
 * ({@code torch.nn.functional.linear}), on the engine or in Java for float weights, in Java for int8 ones.
 */
sealed interface Matrix {
    /**
     * @param x activations {@code [T, in]}
     * @param residual {@code [T, out]} added to the product, or null
     * @return {@code [T, out]} in x's dtype
     */
    NDArray times(NDArray x, NDArray residual);

    /**
     * Float32 or float16 weights on the engine. Within a {@link KernelPass}, a product of 2 to
     * {@value KernelPass#MAX_ROWS} rows on the CPU runs in Java ({@link FloatMatrix}, reading the engine's memory;
     * see {@link KernelPass#takes}).
     *
     * @param weight {@code [out, in]}
     * @param host a view of the weights for Java's products, or null where there is none (a GPU)
     */
    record Dense(NDArray weight, FloatMatrix host) implements Matrix {
        /** @param weight {@code [out, in]}, viewed for Java's products where {@link FloatMatrix#viewable} */
        Dense(NDArray weight) {
            this(weight, FloatMatrix.viewable(weight) ? FloatMatrix.of(weight) : null);
        }

        @Override
        public NDArray times(NDArray x, NDArray residual) {
            if (host != null && KernelPass.threads() != null && KernelPass.takes(x, host)) {
                int tokens = (int) x.getShape().get(0);
                return KernelPass.product(x, host.cols(), host.rows(),
                        (in, out, threads) -> host.multiply(in, tokens, threads, out), residual);
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
            return KernelPass.product(x, weight.cols(), weight.rows(),
                    (in, out, threads) -> weight.multiply(in, tokens, threads, out), residual);
        }
    }
}
