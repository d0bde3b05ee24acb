package dev.ivl.djl.quant;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The int8 × float32 product, on Java's Vector API: a vector of int8 weights widened to as many floats per step,
 * multiplied and added into float32 accumulators. Loaded only when a product runs, so that a JVM without
 * {@code jdk.incubator.vector} can load the rest of ivl.
 */
final class Int8Kernel {
    /** The widest float vectors of this CPU: 16 lanes with AVX-512, 8 with AVX2. */
    private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = FLOATS.length();
    /** As many int8 lanes as float lanes: they widen one to one. */
    private static final VectorSpecies<Byte> BYTES = VectorSpecies.of(byte.class, VectorShape.forBitSize(LANES * 8));

    private Int8Kernel() {}

    /**
     * {@code y[t][r] = scale[r] · Σ_c q[r][c] · x[t][c]} for rows {@code r ∈ [from, to)} and every token t. Blocks
     * of four rows by four tokens keep sixteen accumulators in registers: each step loads four weight vectors and
     * four activation vectors for sixteen multiply-adds (a prompt's products are bound by arithmetic, not memory).
     * A single token (a decode step) streams each row once with two accumulators.
     */
    static void multiply(byte[] q, float[] scale, int cols, int rows, float[] x, int tokens, float[] y, int from,
            int to) {
        int r = from;
        if (tokens >= 4) {
            for (; r + 4 <= to; r += 4) {
                int t = 0;
                for (; t + 4 <= tokens; t += 4) {
                    tile(q, scale, cols, rows, x, y, r, t);
                }
                for (int row = r; row < r + 4; row++) {
                    for (int u = t; u < tokens; u++) {
                        y[u * rows + row] = scale[row] * dot(q, row * cols, x, u * cols, cols);
                    }
                }
            }
        }
        for (; r < to; r++) {
            for (int t = 0; t < tokens; t++) {
                y[t * rows + r] = scale[r] * dot(q, r * cols, x, t * cols, cols);
            }
        }
    }

    /** Rows {@code r..r+3} by tokens {@code t..t+3}. */
    private static void tile(byte[] q, float[] scale, int cols, int rows, float[] x, float[] y, int r, int t) {
        int w0 = r * cols;
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
            FloatVector w = widen(q, w0 + c);
            a00 = w.fma(v0, a00);
            a01 = w.fma(v1, a01);
            a02 = w.fma(v2, a02);
            a03 = w.fma(v3, a03);
            w = widen(q, w1 + c);
            a10 = w.fma(v0, a10);
            a11 = w.fma(v1, a11);
            a12 = w.fma(v2, a12);
            a13 = w.fma(v3, a13);
            w = widen(q, w2 + c);
            a20 = w.fma(v0, a20);
            a21 = w.fma(v1, a21);
            a22 = w.fma(v2, a22);
            a23 = w.fma(v3, a23);
            w = widen(q, w3 + c);
            a30 = w.fma(v0, a30);
            a31 = w.fma(v1, a31);
            a32 = w.fma(v2, a32);
            a33 = w.fma(v3, a33);
        }
        // the columns past the last whole vector, if any, are added one by one (vector arrays would defeat the
        // compiler's keeping the accumulators in registers)
        int t0 = t * rows + r;
        int t1 = t0 + rows;
        int t2 = t1 + rows;
        int t3 = t2 + rows;
        y[t0] = sum(a00, q, w0, x, x0, vectorCols, cols) * scale[r];
        y[t1] = sum(a01, q, w0, x, x1, vectorCols, cols) * scale[r];
        y[t2] = sum(a02, q, w0, x, x2, vectorCols, cols) * scale[r];
        y[t3] = sum(a03, q, w0, x, x3, vectorCols, cols) * scale[r];
        y[t0 + 1] = sum(a10, q, w1, x, x0, vectorCols, cols) * scale[r + 1];
        y[t1 + 1] = sum(a11, q, w1, x, x1, vectorCols, cols) * scale[r + 1];
        y[t2 + 1] = sum(a12, q, w1, x, x2, vectorCols, cols) * scale[r + 1];
        y[t3 + 1] = sum(a13, q, w1, x, x3, vectorCols, cols) * scale[r + 1];
        y[t0 + 2] = sum(a20, q, w2, x, x0, vectorCols, cols) * scale[r + 2];
        y[t1 + 2] = sum(a21, q, w2, x, x1, vectorCols, cols) * scale[r + 2];
        y[t2 + 2] = sum(a22, q, w2, x, x2, vectorCols, cols) * scale[r + 2];
        y[t3 + 2] = sum(a23, q, w2, x, x3, vectorCols, cols) * scale[r + 2];
        y[t0 + 3] = sum(a30, q, w3, x, x0, vectorCols, cols) * scale[r + 3];
        y[t1 + 3] = sum(a31, q, w3, x, x1, vectorCols, cols) * scale[r + 3];
        y[t2 + 3] = sum(a32, q, w3, x, x2, vectorCols, cols) * scale[r + 3];
        y[t3 + 3] = sum(a33, q, w3, x, x3, vectorCols, cols) * scale[r + 3];
    }

    /** An accumulator's lanes added up, plus the columns past the last whole vector. */
    private static float sum(FloatVector acc, byte[] q, int w, float[] x, int xRow, int from, int cols) {
        return acc.reduceLanes(VectorOperators.ADD) + tail(q, w, x, xRow, from, cols);
    }

    /** {@code Σ_c q[w + c] · x[xRow + c]}, two accumulators. */
    private static float dot(byte[] q, int w, float[] x, int xRow, int cols) {
        int vectorCols = cols - cols % LANES;
        // two accumulators: the additions of one depend on each other, two chains keep the multiply-adds flowing
        FloatVector a0 = FloatVector.zero(FLOATS);
        FloatVector a1 = FloatVector.zero(FLOATS);
        int c = 0;
        for (; c + 2 * LANES <= vectorCols; c += 2 * LANES) {
            a0 = widen(q, w + c).fma(FloatVector.fromArray(FLOATS, x, xRow + c), a0);
            a1 = widen(q, w + c + LANES).fma(FloatVector.fromArray(FLOATS, x, xRow + c + LANES), a1);
        }
        for (; c < vectorCols; c += LANES) {
            a0 = widen(q, w + c).fma(FloatVector.fromArray(FLOATS, x, xRow + c), a0);
        }
        return a0.add(a1).reduceLanes(VectorOperators.ADD) + tail(q, w, x, xRow, vectorCols, cols);
    }

    /** {@code LANES} int8 weights from {@code q[at]} as floats. */
    private static FloatVector widen(byte[] q, int at) {
        return (FloatVector) ByteVector.fromArray(BYTES, q, at).convertShape(VectorOperators.B2F, FLOATS, 0);
    }

    /** The columns past the last whole vector, one by one. */
    private static float tail(byte[] q, int w, float[] x, int xRow, int from, int cols) {
        float sum = 0;
        for (int c = from; c < cols; c++) {
            sum += q[w + c] * x[xRow + c];
        }
        return sum;
    }
}
