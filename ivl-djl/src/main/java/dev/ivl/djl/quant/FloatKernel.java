package dev.ivl.djl.quant;

import dev.ivl.djl.internal.SpinPool;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The product of activation rows with float32 or float16 weights read from native memory (the engine's), on Java's
 * Vector API, accumulating in float32. Loaded only when a product runs, so that a JVM without
 * {@code jdk.incubator.vector} can load the rest of ivl.
 *
 * <p>Two ways, by the number of activation rows:
 * <ul>
 *   <li>one to three rows: each weight row is streamed from memory once per activation row, two accumulators per
 *       dot product; float16 weights are widened in registers. This is bound by memory: float16 weights stream at
 *       42–45 GB/s on two cores of the project's machine (26 on one), the engine's float16 {@code linear} at
 *       52–55 (26 on one).</li>
 *   <li>four rows or more (a prompt, a batched step): four weight rows at a time are copied (widened) to a heap block,
 *       then multiplied with four activation rows at a time, sixteen accumulators in registers. This is bound by
 *       arithmetic: JDK 17's Vector API multiplies from a heap array at 105 GFLOP/s on one core, from a direct buffer
 *       at 65.</li>
 * </ul>
 *
 * <p>Widening float16: the bits {@code h}, sign-extended to an int, shifted left by 13 and masked with
 * {@code 0x8FFFFFFF}, are the float32 whose value is {@code 2⁻¹¹² · h's value}, exactly, for zeros, subnormals and
 * normal numbers alike (exponent bias 15 against 127; infinities and NaN, which a finite checkpoint does not hold, are
 * not kept). The factor {@code 2¹¹²} is applied once to each dot product's sum when streaming, and to each widened
 * weight in a heap block.
 */
final class FloatKernel {
    /** The widest float vectors of this CPU: 16 lanes with AVX-512, 8 with AVX2. */
    private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = FLOATS.length();
    private static final VectorSpecies<Integer> INTS = VectorSpecies.of(int.class, FLOATS.vectorShape());
    /** As many float16 lanes as float lanes: they widen one to one. */
    private static final VectorSpecies<Short> HALVES = VectorSpecies.of(short.class,
            VectorShape.forBitSize(LANES * Short.SIZE));
    /** The engine's byte order, which weight buffers are read in. */
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    /** Undoes the widening's exponent shift (2¹¹²). */
    private static final float HALF_SCALE = 0x1p112f;

    private FloatKernel() {}

    /**
     * {@code y = x · Wᵀ} on up to {@code threads} threads of the {@link SpinPool#shared shared pool} (the caller's
     * among them), each taking a range of whole four-row blocks.
     *
     * @param w the weights {@code [rows, cols]}, row-major, in the platform's byte order (as its views)
     * @param half whether {@code w} holds float16 (else float32)
     * @param x {@code [tokens, cols]}, row-major
     * @param y receives {@code [tokens, rows]}, row-major
     */
    static void multiply(ByteBuffer w, boolean half, int cols, int rows, float[] x, int tokens, int threads,
            float[] y) {
        SpinPool.shared().forRanges(rows, 4, threads,
                (from, to) -> multiply(w, half, cols, rows, x, tokens, y, from, to));
    }

    /** {@code y[t][r] = Σ_c w[r][c] · x[t][c]} for weight rows {@code r ∈ [from, to)} and every token t. */
    private static void multiply(ByteBuffer w, boolean half, int cols, int rows, float[] x, int tokens, float[] y,
            int from, int to) {
        if (tokens < 4) {
            for (int r = from; r < to; r++) {
                for (int t = 0; t < tokens; t++) {
                    y[t * rows + r] = half ? halfDot(w, r * cols, x, t * cols, cols)
                            : floatDot(w, r * cols, x, t * cols, cols);
                }
            }
            return;
        }
        float[] block = BLOCK.get();
        if (block.length < 4 * cols) {
            block = new float[4 * cols];
            BLOCK.set(block);
        }
        int fullTokens = tokens - tokens % 4;
        for (int r = from; r < to; r += 4) {
            int n = Math.min(4, to - r); // the last block of the range may hold fewer rows
            load(w, half, r * cols, block, 0, n * cols);
            if (n == 4) {
                for (int t = 0; t < fullTokens; t += 4) {
                    tile(block, cols, rows, x, y, r, t);
                }
            }
            for (int row = r; row < r + n; row++) {
                for (int t = n == 4 ? fullTokens : 0; t < tokens; t++) {
                    y[t * rows + row] = dot(block, (row - r) * cols, x, t * cols, cols);
                }
            }
        }
    }

    /** Per thread, the four weight rows a tile multiplies, as float32. */
    private static final ThreadLocal<float[]> BLOCK = ThreadLocal.withInitial(() -> new float[0]);

    /** {@code block[to, to + count) = w[at, at + count)} as float32 values. */
    static void load(ByteBuffer w, boolean half, int at, float[] block, int to, int count) {
        if (!half) {
            w.asFloatBuffer().get(at, block, to, count);
            return;
        }
        int vectorEnd = count - count % LANES;
        for (int i = 0; i < vectorEnd; i += LANES) {
            widen(w, at + i).mul(HALF_SCALE).intoArray(block, to + i);
        }
        for (int i = vectorEnd; i < count; i++) {
            block[to + i] = widen(w.getShort(2 * (at + i))) * HALF_SCALE;
        }
    }

    /** {@code LANES} float16 weights from element {@code at} of {@code w}, each times 2⁻¹¹². */
    private static FloatVector widen(ByteBuffer w, int at) {
        IntVector bits = (IntVector) ShortVector.fromByteBuffer(HALVES, w, 2 * at, ORDER)
                .convertShape(VectorOperators.S2I, INTS, 0); // sign-extended
        return bits.lanewise(VectorOperators.LSHL, 13).and(0x8FFFFFFF).reinterpretAsFloats();
    }

    /** One float16 weight, times 2⁻¹¹². */
    private static float widen(short h) {
        return Float.intBitsToFloat((h << 13) & 0x8FFFFFFF);
    }

    /** {@code Σ_c w[at + c] · x[xRow + c]} for float16 weights streamed from memory. */
    private static float halfDot(ByteBuffer w, int at, float[] x, int xRow, int cols) {
        int vectorCols = cols - cols % LANES;
        // two accumulators: the additions of one depend on each other, two chains keep the multiply-adds flowing
        FloatVector a0 = FloatVector.zero(FLOATS);
        FloatVector a1 = FloatVector.zero(FLOATS);
        int c = 0;
        for (; c + 2 * LANES <= vectorCols; c += 2 * LANES) {
            a0 = widen(w, at + c).fma(FloatVector.fromArray(FLOATS, x, xRow + c), a0);
            a1 = widen(w, at + c + LANES).fma(FloatVector.fromArray(FLOATS, x, xRow + c + LANES), a1);
        }
        for (; c < vectorCols; c += LANES) {
            a0 = widen(w, at + c).fma(FloatVector.fromArray(FLOATS, x, xRow + c), a0);
        }
        float sum = a0.add(a1).reduceLanes(VectorOperators.ADD);
        for (; c < cols; c++) {
            sum += widen(w.getShort(2 * (at + c))) * x[xRow + c];
        }
        return sum * HALF_SCALE;
    }

    /** {@code Σ_c w[at + c] · x[xRow + c]} for float32 weights streamed from memory. */
    private static float floatDot(ByteBuffer w, int at, float[] x, int xRow, int cols) {
        int vectorCols = cols - cols % LANES;
        FloatVector a0 = FloatVector.zero(FLOATS);
        FloatVector a1 = FloatVector.zero(FLOATS);
        int c = 0;
        for (; c + 2 * LANES <= vectorCols; c += 2 * LANES) {
            a0 = FloatVector.fromByteBuffer(FLOATS, w, 4 * (at + c), ORDER)
                    .fma(FloatVector.fromArray(FLOATS, x, xRow + c), a0);
            a1 = FloatVector.fromByteBuffer(FLOATS, w, 4 * (at + c + LANES), ORDER)
                    .fma(FloatVector.fromArray(FLOATS, x, xRow + c + LANES), a1);
        }
        for (; c < vectorCols; c += LANES) {
            a0 = FloatVector.fromByteBuffer(FLOATS, w, 4 * (at + c), ORDER)
                    .fma(FloatVector.fromArray(FLOATS, x, xRow + c), a0);
        }
        float sum = a0.add(a1).reduceLanes(VectorOperators.ADD);
        for (; c < cols; c++) {
            sum += w.getFloat(4 * (at + c)) * x[xRow + c];
        }
        return sum;
    }

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
