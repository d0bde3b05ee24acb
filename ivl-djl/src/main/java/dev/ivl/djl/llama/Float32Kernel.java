package dev.ivl.djl.llama;

import dev.ivl.djl.internal.SpinPool;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The float32 product of a few activation rows with a weight matrix read from the engine's memory, on Java's Vector
 * API. For a few rows the engine's product runs far below the cores' arithmetic peak (8 rows at the cpu-base shape:
 * about 31 GFLOP/s in one {@code linear}); this kernel copies four weight rows at a time into a small heap block
 * (each weight is read from memory once) and multiplies them with four activation rows at a time, sixteen
 * accumulators in registers. Loaded only when a product runs, so that a JVM without {@code jdk.incubator.vector} can
 * load the rest of ivl.
 */
final class Float32Kernel {
    /** The widest float vectors of this CPU: 16 lanes with AVX-512, 8 with AVX2. */
    private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = FLOATS.length();

    private Float32Kernel() {}

    /**
     * {@code y = x · Wᵀ} on up to {@code threads} threads of the {@link SpinPool#shared shared pool} (the caller's
     * among them), each taking a block of whole tiles.
     *
     * @param w the weights {@code [rows, cols]}, float32, row-major, in the buffer's byte order
     * @param x {@code [tokens, cols]}, row-major
     * @param tokens a multiple of 4 (callers pad with rows of zeros)
     * @param y receives {@code [tokens, rows]}, row-major
     */
    static void multiply(ByteBuffer w, int cols, int rows, float[] x, int tokens, int threads, float[] y) {
        SpinPool.shared().forRanges(rows, 4, threads, (from, to) -> multiply(w, cols, rows, x, tokens, y, from, to));
    }

    /**
     * {@code y[t][r] = Σ_c w[r][c] · x[t][c]} for weight rows {@code r ∈ [from, to)} and tokens {@code t < tokens}:
     * four weight rows at a time copied to the heap, then multiplied with every four tokens, each step loading four
     * weight vectors and four activation vectors for sixteen multiply-adds; the last rows (fewer than four) one by one.
     */
    private static void multiply(ByteBuffer w, int cols, int rows, float[] x, int tokens, float[] y, int from,
            int to) {
        FloatBuffer weights = w.asFloatBuffer();
        float[] block = BLOCK.get();
        if (block.length < 4 * cols) {
            block = new float[4 * cols];
            BLOCK.set(block);
        }
        int r = from;
        for (; r + 4 <= to; r += 4) {
            // the block's four rows copied to the heap first: the Vector API of JDK 17 multiplies from a heap array
            // at 105 GFLOP/s on one core, from a direct buffer at 65
            weights.get(r * cols, block, 0, 4 * cols);
            for (int t = 0; t < tokens; t += 4) {
                tile(block, cols, rows, x, y, r, t);
            }
        }
        if (r < to) {
            weights.get(r * cols, block, 0, (to - r) * cols);
            for (int row = r; row < to; row++) {
                for (int t = 0; t < tokens; t++) {
                    y[t * rows + row] = dot(block, (row - r) * cols, x, t * cols, cols);
                }
            }
        }
    }

    /** Per thread, the four weight rows a tile multiplies. */
    private static final ThreadLocal<float[]> BLOCK = ThreadLocal.withInitial(() -> new float[0]);

    /** Weight rows {@code r..r+3} (rows 0..3 of {@code w}) by tokens {@code t..t+3}. */
    private static void tile(float[] w, int cols, int rows, float[] x, float[] y, int r, int t) {
        int w0 = 0;
        int w1 = w0 + cols;
        int w2 = w1 + cols;
        int w3 = w2 + cols;
        int x0 = t * cols;
        int x1 = x0 + cols;
        int x2 = x1 + cols;
        int x3 = x2 + cols;
        FloatVector a00 = FloatVector.zero(FLOATS);
        FloatVector a01 = a00;
        FloatVector a02 = a00;
        FloatVector a03 = a00;
        FloatVector a10 = a00;
        FloatVector a11 = a00;
        FloatVector a12 = a00;
        FloatVector a13 = a00;
        FloatVector a20 = a00;
        FloatVector a21 = a00;
        FloatVector a22 = a00;
        FloatVector a23 = a00;
        FloatVector a30 = a00;
        FloatVector a31 = a00;
        FloatVector a32 = a00;
        FloatVector a33 = a00;
        int vectorCols = cols - cols % LANES;
        for (int c = 0; c < vectorCols; c += LANES) {
            FloatVector v0 = FloatVector.fromArray(FLOATS, x, x0 + c);
            FloatVector v1 = FloatVector.fromArray(FLOATS, x, x1 + c);
            FloatVector v2 = FloatVector.fromArray(FLOATS, x, x2 + c);
            FloatVector v3 = FloatVector.fromArray(FLOATS, x, x3 + c);
            FloatVector q = FloatVector.fromArray(FLOATS, w, w0 + c);
            a00 = q.fma(v0, a00);
            a01 = q.fma(v1, a01);
            a02 = q.fma(v2, a02);
            a03 = q.fma(v3, a03);
            q = FloatVector.fromArray(FLOATS, w, w1 + c);
            a10 = q.fma(v0, a10);
            a11 = q.fma(v1, a11);
            a12 = q.fma(v2, a12);
            a13 = q.fma(v3, a13);
            q = FloatVector.fromArray(FLOATS, w, w2 + c);
            a20 = q.fma(v0, a20);
            a21 = q.fma(v1, a21);
            a22 = q.fma(v2, a22);
            a23 = q.fma(v3, a23);
            q = FloatVector.fromArray(FLOATS, w, w3 + c);
            a30 = q.fma(v0, a30);
            a31 = q.fma(v1, a31);
            a32 = q.fma(v2, a32);
            a33 = q.fma(v3, a33);
        }
        int t0 = t * rows + r;
        int t1 = t0 + rows;
        int t2 = t1 + rows;
        int t3 = t2 + rows;
        y[t0] = heapSum(a00, w, w0, x, x0, vectorCols, cols);
        y[t1] = heapSum(a01, w, w0, x, x1, vectorCols, cols);
        y[t2] = heapSum(a02, w, w0, x, x2, vectorCols, cols);
        y[t3] = heapSum(a03, w, w0, x, x3, vectorCols, cols);
        y[t0 + 1] = heapSum(a10, w, w1, x, x0, vectorCols, cols);
        y[t1 + 1] = heapSum(a11, w, w1, x, x1, vectorCols, cols);
        y[t2 + 1] = heapSum(a12, w, w1, x, x2, vectorCols, cols);
        y[t3 + 1] = heapSum(a13, w, w1, x, x3, vectorCols, cols);
        y[t0 + 2] = heapSum(a20, w, w2, x, x0, vectorCols, cols);
        y[t1 + 2] = heapSum(a21, w, w2, x, x1, vectorCols, cols);
        y[t2 + 2] = heapSum(a22, w, w2, x, x2, vectorCols, cols);
        y[t3 + 2] = heapSum(a23, w, w2, x, x3, vectorCols, cols);
        y[t0 + 3] = heapSum(a30, w, w3, x, x0, vectorCols, cols);
        y[t1 + 3] = heapSum(a31, w, w3, x, x1, vectorCols, cols);
        y[t2 + 3] = heapSum(a32, w, w3, x, x2, vectorCols, cols);
        y[t3 + 3] = heapSum(a33, w, w3, x, x3, vectorCols, cols);
    }

    /** An accumulator's lanes added up, plus the columns past the last whole vector. */
    private static float heapSum(FloatVector acc, float[] w, int wRow, float[] x, int xRow, int from, int cols) {
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (int c = from; c < cols; c++) {
            sum += w[wRow + c] * x[xRow + c];
        }
        return sum;
    }

    /** {@code Σ_c w[wRow + c] · x[xRow + c]}. */
    private static float dot(float[] w, int wRow, float[] x, int xRow, int cols) {
        int vectorCols = cols - cols % LANES;
        FloatVector acc = FloatVector.zero(FLOATS);
        for (int c = 0; c < vectorCols; c += LANES) {
            acc = FloatVector.fromArray(FLOATS, w, wRow + c).fma(FloatVector.fromArray(FLOATS, x, xRow + c), acc);
        }
        return heapSum(acc, w, wRow, x, xRow, vectorCols, cols);
    }
}
