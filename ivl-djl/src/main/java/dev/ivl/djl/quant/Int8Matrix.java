package dev.ivl.djl.quant;

import dev.ivl.core.IllegalParameterException;
import dev.ivl.core.ModelFormatException;
import dev.ivl.djl.internal.SpinPool;
import dev.ivl.djl.weights.SafetensorsCheckpoint;
import dev.ivl.djl.weights.TensorInfo;
import java.util.ArrayList;
import java.util.List;

/**
 * A weight matrix {@code W [rows, cols]} (the checkpoint's {@code [out, in]} layout) stored as int8 with one scale
 * per row: {@code W[r][c] ≈ scale[r] · q[r][c]}, {@code q} in [−127, 127], {@code scale[r] = max_c |W[r][c]| / 127}.
 * The product {@code y = x · Wᵀ} reads each int8 weight once per block of four activation rows and accumulates in
 * float32; its error against the float32 product is that of the weights' rounding, at most half a step
 * ({@code scale[r] / 2}) per weight.
 *
 * <p>Immutable and thread-safe. Products run on the calling thread and, when asked for more threads, on a shared
 * pool of daemon threads that spin briefly between products (one product at a time uses the pool).
 */
public final class Int8Matrix {
    /** The module the kernel needs. */
    public static final String VECTOR_MODULE = "jdk.incubator.vector";

    private final byte[] q;
    private final float[] scale;
    private final int rows;
    private final int cols;

    private Int8Matrix(byte[] q, float[] scale, int rows, int cols) {
        this.q = q;
        this.scale = scale;
        this.rows = rows;
        this.cols = cols;
    }

    /** @return whether the JVM runs with {@value #VECTOR_MODULE}, which the products need */
    public static boolean available() {
        return ModuleLayer.boot().findModule(VECTOR_MODULE).isPresent();
    }

    /**
     * @throws IllegalParameterException naming {@code parameter} when the JVM lacks {@value #VECTOR_MODULE}
     */
    public static void requireAvailable(String parameter) {
        requireVectors(parameter, "int8", "the int8 kernel");
    }

    /**
     * @throws IllegalParameterException naming {@code parameter} and its {@code value} when the JVM lacks
     *     {@value #VECTOR_MODULE}, which {@code kernel} uses
     */
    static void requireVectors(String parameter, Object value, String kernel) {
        if (!available()) {
            throw new IllegalParameterException(parameter, value, "needs a JVM started with --add-modules "
                    + VECTOR_MODULE + " (" + kernel + " uses Java's Vector API; the ivl script adds it unless"
                    + " IVL_NO_VECTOR is set)");
        }
    }

    /**
     * Quantizes a matrix.
     *
     * @param w the values, row-major, {@code rows · cols} of them, all finite
     * @param rows the rows (outputs)
     * @param cols the columns (inputs)
     * @return the int8 matrix
     * @throws IllegalParameterException if the sizes disagree or a value is not finite
     */
    public static Int8Matrix quantize(float[] w, int rows, int cols) {
        if (rows < 1 || cols < 1 || (long) rows * cols != w.length) {
            throw new IllegalParameterException("rows x cols", rows + " x " + cols, "must be positive and hold the "
                    + w.length + " values");
        }
        byte[] q = new byte[w.length];
        float[] scale = new float[rows];
        for (int r = 0; r < rows; r++) {
            int at = r * cols;
            float max = 0;
            for (int c = 0; c < cols; c++) {
                float v = w[at + c];
                if (!Float.isFinite(v)) {
                    throw new IllegalParameterException("w[" + r + "][" + c + "]", v, "must be finite to quantize");
                }
                max = Math.max(max, Math.abs(v));
            }
            float s = max == 0 ? 1 : max / 127;
            scale[r] = s;
            for (int c = 0; c < cols; c++) {
                q[at + c] = (byte) Math.max(-127, Math.min(127, Math.round(w[at + c] / s)));
            }
        }
        return new Int8Matrix(q, scale, rows, cols);
    }

    /**
     * Quantizes checkpoint tensors stacked along their rows, as fused projections stack their parts (q, k, v; gate,
     * up).
     *
     * @param checkpoint the weights
     * @param names the tensors, each {@code [rows, cols]} with one {@code cols}
     * @return the quantized stack
     * @throws ModelFormatException naming the tensor if one is not a matrix or holds a value that is not finite
     */
    public static Int8Matrix load(SafetensorsCheckpoint checkpoint, List<String> names) {
        List<Int8Matrix> parts = new ArrayList<>();
        for (String name : names) {
            TensorInfo info = checkpoint.info(name);
            long[] shape = info.shape();
            try {
                if (shape.length != 2) {
                    throw new IllegalParameterException("shape", java.util.Arrays.toString(shape), "must be a matrix");
                }
                parts.add(quantize(checkpoint.readFloats(name), (int) shape[0], (int) shape[1]));
            } catch (IllegalParameterException e) {
                throw new ModelFormatException(info.file(), "tensor " + name + " cannot be quantized: "
                        + e.getMessage());
            }
        }
        return parts.size() == 1 ? parts.get(0) : stack(parts);
    }

    /**
     * Stacks matrices of the same width along their rows, as fused projections stack their parts.
     *
     * @param parts the matrices, in order
     * @return {@code [Σ rows, cols]}
     */
    public static Int8Matrix stack(List<Int8Matrix> parts) {
        int cols = parts.get(0).cols;
        long rows = 0;
        for (Int8Matrix p : parts) {
            if (p.cols != cols) {
                throw new IllegalParameterException("cols", p.cols, "must equal the first part's " + cols);
            }
            rows += p.rows;
        }
        if (rows * cols > Integer.MAX_VALUE - 8) {
            throw new IllegalParameterException("rows x cols", rows + " x " + cols, "is too large for one array");
        }
        byte[] q = new byte[(int) (rows * cols)];
        float[] scale = new float[(int) rows];
        int at = 0;
        for (Int8Matrix p : parts) {
            System.arraycopy(p.q, 0, q, at * cols, p.q.length);
            System.arraycopy(p.scale, 0, scale, at, p.rows);
            at += p.rows;
        }
        return new Int8Matrix(q, scale, (int) rows, cols);
    }

    /** @return the rows (outputs) */
    public int rows() {
        return rows;
    }

    /** @return the columns (inputs) */
    public int cols() {
        return cols;
    }

    /** @return the bytes a product streams: the int8 weights and the row scales */
    public long bytes() {
        return q.length + 4L * scale.length;
    }

    /**
     * @param r a row
     * @param c a column
     * @return the dequantized weight {@code scale[r] · q[r][c]}
     */
    public float get(int r, int c) {
        return scale[r] * q[r * cols + c];
    }

    /**
     * {@code y = x · Wᵀ} for {@code tokens} activation rows.
     *
     * @param x {@code [tokens, cols]}, row-major
     * @param tokens the activation rows
     * @param threads how many threads share the rows of {@code W} (the caller's among them); 1 runs on the caller
     * @return {@code [tokens, rows]}, row-major
     */
    public float[] multiply(float[] x, int tokens, int threads) {
        float[] y = new float[tokens * rows];
        multiply(x, tokens, threads, y);
        return y;
    }

    /**
     * {@code y = x · Wᵀ} for {@code tokens} activation rows, into a given array (which a caller may reuse).
     *
     * @param x {@code [tokens, cols]}, row-major; longer arrays are read from the start
     * @param tokens the activation rows
     * @param threads how many threads share the rows of {@code W} (the caller's among them); 1 runs on the caller
     * @param y receives {@code [tokens, rows]}, row-major, from its start
     */
    public void multiply(float[] x, int tokens, int threads, float[] y) {
        requireAvailable("dtype");
        if (tokens < 1 || (long) tokens * cols > x.length || (long) tokens * rows > y.length) {
            throw new IllegalParameterException("x, y", x.length + ", " + y.length + " values", "must hold "
                    + tokens + " rows of " + cols + " and of " + rows);
        }
        SpinPool.shared().forRanges(rows, 1, threads,
                (from, to) -> Int8Kernel.multiply(q, scale, cols, rows, x, tokens, y, from, to));
    }
}
