package dev.ivl.examples.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import dev.ivl.djl.llama.LlamaConfig;
import dev.ivl.djl.quant.FloatMatrix;
import dev.ivl.djl.quant.Int8Matrix;
import dev.ivl.djl.weights.SafetensorsCheckpoint;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The matrix products of one decode step and nothing else: every weight matrix of a LLaMA checkpoint, fused as
 * {@link dev.ivl.djl.llama.LlamaModel} fuses them (q·k·v, o, gate·up, down per layer, then lm_head), multiplied by
 * one activation row {@code [1, in]} with the engine's {@code linear}, as a decode step does. Streaming every weight
 * once through the cores, this is the floor a decode step cannot beat on a memory-bound CPU.
 *
 * <p>The products can be computed three ways ({@link Product}): with one {@code linear} per matrix, the plain
 * definition of the floor; as a batched product over one block of rows per intra-op thread; or, for float weights on
 * the CPU, by Java's kernel ({@link FloatMatrix}), as a model's decode step in Java computes them.
 *
 * <p>The weights are a second copy, loaded from the checkpoint into their own manager in the model's dtype (the
 * model's own tensors are not reachable from outside its package); the activations are random draws. For int8 the
 * matrices are quantized as the model quantizes them and multiplied by {@link Int8Matrix}, whatever the
 * {@link Product}.
 */
public final class MatmulFloor implements AutoCloseable {
    /** How each product is computed. */
    public enum Product {
        /** {@code torch.nn.functional.linear(x, w)}. */
        LINEAR,
        /**
         * The rows of {@code w} split into one block per intra-op thread and multiplied as one batched product (as
         * {@code dev.ivl.djl.llama.Ops.linear} does for a single row on the CPU); {@code linear} when there is one
         * thread or the rows do not split evenly.
         */
        ROW_BLOCKS,
        /**
         * Java's product ({@link FloatMatrix}) reading the weights in place, with float32 activation rows: how a
         * decode step in Java computes a single row on the CPU. Only where {@link #hasKernel()}.
         */
        KERNEL
    }

    private final NDManager manager;
    private final List<NDArray> weights = new ArrayList<>();
    private final List<NDArray> inputs = new ArrayList<>();
    private final List<Int8Matrix> quantized = new ArrayList<>(); // int8: the matrices
    private final List<FloatMatrix> views = new ArrayList<>(); // float weights on the CPU: Java's views of them
    private final List<float[]> rows = new ArrayList<>(); // activation rows of the Java products
    private float[] out = new float[0];
    private final long weightBytes;

    /**
     * Loads the weight matrices.
     *
     * @param dir the checkpoint folder
     * @param config its configuration
     * @param device where to multiply
     * @param dtype the weights' dtype (FLOAT32, FLOAT16 or INT8)
     */
    public MatmulFloor(Path dir, LlamaConfig config, Device device, DataType dtype) {
        manager = NDManager.newBaseManager(device, "PyTorch");
        try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(dir)) {
            int hidden = config.hiddenSize();
            int attention = config.numAttentionHeads() * config.headDim();
            int ffn = config.intermediateSize();
            long bytes = 0;
            for (int i = 0; i < config.numHiddenLayers(); i++) {
                String p = "model.layers." + i + ".";
                bytes += add(checkpoint, dtype, hidden, p + "self_attn.q_proj.weight", p + "self_attn.k_proj.weight",
                        p + "self_attn.v_proj.weight");
                bytes += add(checkpoint, dtype, attention, p + "self_attn.o_proj.weight");
                bytes += add(checkpoint, dtype, hidden, p + "mlp.gate_proj.weight", p + "mlp.up_proj.weight");
                bytes += add(checkpoint, dtype, ffn, p + "mlp.down_proj.weight");
            }
            bytes += add(checkpoint, dtype, hidden, config.tieWordEmbeddings() ? "model.embed_tokens.weight"
                    : "lm_head.weight");
            weightBytes = bytes;
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * Adds one matrix (its named parts stacked along the rows) and a random activation row {@code [1, in]}.
     *
     * @return the bytes of the matrix
     */
    private long add(SafetensorsCheckpoint checkpoint, DataType dtype, int in, String... names) {
        if (dtype == DataType.INT8) {
            Int8Matrix m = Int8Matrix.load(checkpoint, List.of(names));
            quantized.add(m);
            rows.add(randomRow(in, quantized.size()));
            out = new float[Math.max(out.length, m.rows())]; // one output row for every product, as a model's step
            return m.bytes();
        }
        NDList parts = new NDList();
        for (String name : names) {
            parts.add(checkpoint.load(name, manager, dtype));
        }
        NDArray weight = parts.size() == 1 ? parts.get(0) : NDArrays.concat(parts, 0);
        if (parts.size() > 1) {
            parts.close();
        }
        weights.add(weight);
        inputs.add(manager.randomNormal(0, 1, new Shape(1, in), DataType.FLOAT32).toType(dtype, false));
        if (Int8Matrix.available() && FloatMatrix.viewable(weight)) {
            views.add(FloatMatrix.of(weight));
            rows.add(randomRow(in, views.size()));
            out = new float[Math.max(out.length, views.get(views.size() - 1).rows())];
        }
        return weight.size() * weight.getDataType().getNumOfBytes();
    }

    private static float[] randomRow(int in, long seed) {
        float[] x = new float[in];
        java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
        for (int i = 0; i < in; i++) {
            x[i] = (float) random.nextGaussian();
        }
        return x;
    }

    /**
     * @return whether {@link Product#KERNEL} can run: float32 or float16 weights on the CPU, every matrix viewable,
     *     and the Vector API module present
     */
    public boolean hasKernel() {
        return !views.isEmpty() && views.size() == weights.size();
    }

    /** @return the number of matrix products in one step (4 per layer and the output projection) */
    public int products() {
        return weights.size() + quantized.size();
    }

    /** @return the bytes of weights one step reads */
    public long weightBytes() {
        return weightBytes;
    }

    /**
     * Runs the products of one decode step, freeing each result once the next is done; on a GPU, waits for the
     * last one.
     *
     * @param product how to compute them
     * @return the elapsed time in nanoseconds
     */
    public long step(Product product) {
        int threads = JniUtils.getNumThreads();
        long start = System.nanoTime();
        for (int i = 0; i < quantized.size(); i++) {
            quantized.get(i).multiply(rows.get(i), 1, threads, out);
        }
        if (product == Product.KERNEL) {
            if (!hasKernel()) {
                throw new IllegalStateException("no Java kernel for these weights");
            }
            for (int i = 0; i < views.size(); i++) {
                views.get(i).multiply(rows.get(i), 1, threads, out);
            }
            return System.nanoTime() - start;
        }
        if (weights.isEmpty()) {
            return System.nanoTime() - start;
        }
        NDArray last = null;
        for (int i = 0; i < weights.size(); i++) {
            NDArray y = multiply(inputs.get(i), weights.get(i), product, threads);
            if (last != null) {
                last.close();
            }
            last = y;
        }
        if (manager.getDevice().isGpu()) {
            try (NDArray one = last.get(0, 0)) { // the device runs the products in order: the last one done
                one.getFloat(); //                     means all done
            }
        }
        long elapsed = System.nanoTime() - start;
        last.close();
        return elapsed;
    }

    private static NDArray multiply(NDArray x, NDArray w, Product product, int threads) {
        long out = w.getShape().get(0);
        if (product == Product.ROW_BLOCKS && threads > 1 && out % threads == 0 && !x.getDevice().isGpu()) {
            long in = w.getShape().get(1);
            try (NDScope views = new NDScope()) { // frees the views and the batched result's handle
                NDArray rows = x.reshape(1, 1, in).broadcast(threads, 1, in);
                NDArray blocks = w.reshape(threads, out / threads, in).transpose(0, 2, 1);
                NDArray y = rows.matMul(blocks).reshape(1, out);
                NDScope.unregister(y);
                return y;
            }
        }
        return x.getNDArrayInternal().linear(x, w, null).singletonOrThrow();
    }

    @Override
    public void close() {
        manager.close();
    }
}
