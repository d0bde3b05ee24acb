package dev.ivl.djl.llama;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector loops of {@link HostStep}'s attention and SwiGLU, on Java's Vector API. Loaded only when a step in Java
 * runs, so that a JVM without {@code jdk.incubator.vector} can load the rest of ivl.
 */
final class HostVectors {
    private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = FLOATS.length();
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    private HostVectors() {}

    /** @return {@code Σ_i q[qAt + i] · k[kAt + i]} over {@code n} floats, {@code k} read from a buffer */
    static float dot(float[] q, int qAt, ByteBuffer k, int kAt, int n) {
        int vectorEnd = n - n % LANES;
        FloatVector acc = FloatVector.zero(FLOATS);
        for (int i = 0; i < vectorEnd; i += LANES) {
            acc = FloatVector.fromByteBuffer(FLOATS, k, 4 * (kAt + i), ORDER)
                    .fma(FloatVector.fromArray(FLOATS, q, qAt + i), acc);
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (int i = vectorEnd; i < n; i++) {
            sum += q[qAt + i] * k.getFloat(4 * (kAt + i));
        }
        return sum;
    }

    /** {@code out[outAt + i] += p · v[vAt + i]} over {@code n} floats, {@code v} read from a buffer. */
    static void addScaled(float p, ByteBuffer v, int vAt, float[] out, int outAt, int n) {
        int vectorEnd = n - n % LANES;
        FloatVector scale = FloatVector.broadcast(FLOATS, p);
        for (int i = 0; i < vectorEnd; i += LANES) {
            FloatVector.fromByteBuffer(FLOATS, v, 4 * (vAt + i), ORDER)
                    .fma(scale, FloatVector.fromArray(FLOATS, out, outAt + i)).intoArray(out, outAt + i);
        }
        for (int i = vectorEnd; i < n; i++) {
            out[outAt + i] += p * v.getFloat(4 * (vAt + i));
        }
    }

    /**
     * {@code x[i] = e^(x[i] − max)} for {@code i < n}, in place (a softmax's numerators).
     *
     * @return their sum, accumulated in double
     */
    static double expShifted(float[] x, int n, float max) {
        int vectorEnd = n - n % LANES;
        double sum = 0;
        for (int i = 0; i < vectorEnd; i += LANES) {
            FloatVector e = FloatVector.fromArray(FLOATS, x, i).sub(max).lanewise(VectorOperators.EXP);
            e.intoArray(x, i);
            sum += e.reduceLanes(VectorOperators.ADD);
        }
        for (int i = vectorEnd; i < n; i++) {
            x[i] = (float) Math.exp(x[i] - max);
            sum += x[i];
        }
        return sum;
    }

    /**
     * {@code act[a + i] = silu(g[i]) · u[i]} for {@code g = gateUp[at, at + ffn)}, {@code u = gateUp[at + ffn,
     * at + 2·ffn)}: one row.
     */
    static void swiGlu(float[] gateUp, int at, int ffn, float[] act, int a) {
        int vectorEnd = ffn - ffn % LANES;
        for (int i = 0; i < vectorEnd; i += LANES) {
            FloatVector g = FloatVector.fromArray(FLOATS, gateUp, at + i);
            FloatVector sigmoid = g.neg().lanewise(VectorOperators.EXP).add(1f); //  silu(g) = g / (1 + e^(−g))
            g.div(sigmoid).mul(FloatVector.fromArray(FLOATS, gateUp, at + ffn + i)).intoArray(act, a + i);
        }
        for (int i = vectorEnd; i < ffn; i++) {
            float g = gateUp[at + i];
            act[a + i] = g / (1 + (float) Math.exp(-g)) * gateUp[at + ffn + i];
        }
    }
}
