package dev.ivl.djl.quant;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import dev.ivl.core.IllegalParameterException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A float32 or float16 weight matrix {@code W [rows, cols]} held by the engine on the CPU, multiplied in Java
 * ({@code y = x · Wᵀ}, accumulated in float32) by reading the engine's memory in place: no copy of the weights, and
 * float32 activations whatever the weights' dtype: float16 weights are multiplied without rounding the activations to
 * float16 or casting around the product. For a few rows (a prompt, a batched step) it multiplies in register tiles,
 * well above the engine's speed for such products on a CPU (float16 prompts of 32 tokens at the TinyLlama shape on 2
 * cores: 82 tokens/s against the engine's 31). A single row streams the weights a little slower than the engine's
 * {@code linear} (float16: 42–45 against 52–55 GB/s on 2 cores).
 *
 * <p>A view of a contiguous array (as loaded weights are): valid while the array is open, and it sees in-place
 * updates of the array. Thread-safe. Products need {@value Int8Matrix#VECTOR_MODULE}.
 */
public final class FloatMatrix {
    private final ByteBuffer weights;
    private final boolean half;
    private final int rows;
    private final int cols;

    private FloatMatrix(ByteBuffer weights, boolean half, int rows, int cols) {
        this.weights = weights;
        this.half = half;
        this.rows = rows;
        this.cols = cols;
    }

    /**
     * @param weight a matrix {@code [rows, cols]}
     * @return whether {@link #of} can view it: float32 or float16, on the CPU, a matrix, under 2³¹ bytes (a Java
     *     buffer's reach)
     */
    public static boolean viewable(NDArray weight) {
        DataType dtype = weight.getDataType();
        return (dtype == DataType.FLOAT32 || dtype == DataType.FLOAT16) && !weight.getDevice().isGpu()
                && weight.getShape().dimension() == 2 && weight.size() > 0
                && weight.size() * dtype.getNumOfBytes() <= Integer.MAX_VALUE;
    }

    /**
     * A view of an engine array's weights. A non-contiguous array (a transposed view, say) is first copied by the
     * engine into a contiguous one, attached to the array's manager: the matrix then reads that copy.
     *
     * @param weight {@code [rows, cols]}, {@link #viewable}
     * @return the view
     * @throws IllegalParameterException naming {@code weight} if it is not viewable
     */
    public static FloatMatrix of(NDArray weight) {
        if (!viewable(weight)) {
            throw new IllegalParameterException("weight", weight.getDataType() + " " + weight.getShape() + " on "
                    + weight.getDevice(), "must be a float32 or float16 matrix on the CPU under 2^31 bytes");
        }
        ByteBuffer view = weight.toByteBuffer(true).order(ByteOrder.nativeOrder());
        return new FloatMatrix(view, weight.getDataType() == DataType.FLOAT16, (int) weight.getShape().get(0),
                (int) weight.getShape().get(1));
    }

    /** @return the rows (outputs) */
    public int rows() {
        return rows;
    }

    /** @return the columns (inputs) */
    public int cols() {
        return cols;
    }

    /** @return whether the weights are float16 (else float32) */
    public boolean half() {
        return half;
    }

    /**
     * Copies one row as float32 values: an embedding lookup.
     *
     * @param row the row, in {@code [0, rows)}
     * @param into receives the row's {@code cols} values
     * @param at where in {@code into} they start
     * @throws IllegalParameterException if the row is outside the matrix or {@code into} is too short
     */
    public void row(int row, float[] into, int at) {
        if (row < 0 || row >= rows || at < 0 || (long) at + cols > into.length) {
            throw new IllegalParameterException("row", row, "must be in [0, " + rows + ") with room for " + cols
                    + " values from " + at);
        }
        FloatKernel.load(weights, half, row * cols, into, at, cols);
    }

    /**
     * {@code y = x · Wᵀ} for {@code tokens} activation rows, into a given array (which a caller may reuse).
     *
     * @param x {@code [tokens, cols]}, row-major; longer arrays are read from the start
     * @param tokens the activation rows
     * @param threads how many threads share the rows of {@code W} (the caller's among them); 1 runs on the caller
     * @param y receives {@code [tokens, rows]}, row-major, from its start
     * @throws IllegalParameterException if the arrays are too short or the JVM lacks the Vector API module
     */
    public void multiply(float[] x, int tokens, int threads, float[] y) {
        Int8Matrix.requireVectors("weight", half ? "float16" : "float32", "the float kernel");
        if (tokens < 1 || (long) tokens * cols > x.length || (long) tokens * rows > y.length) {
            throw new IllegalParameterException("x, y", x.length + ", " + y.length + " values", "must hold "
                    + tokens + " rows of " + cols + " and of " + rows);
        }
        FloatKernel.multiply(weights, half, cols, rows, x, tokens, threads, y);
    }
}
