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
 * <p>The products can be computed two ways ({@link Product}): with one {@code linear} per matrix, the plain
 * definition of the floor, or as the model computes a single row on the CPU, as a batched product over one block of
 * rows per intra-op thread.
 *
 * <p>The weights are a second copy, loaded from the checkpoint into their own manager in the model's dtype (the
 * model's own tensors are not reachable from outside its package); the activations are random draws.
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
        ROW_BLOCKS
    }

    private final NDManager manager;
    private final List<NDArray> weights = new ArrayList<>();
    private final List<NDArray> inputs = new ArrayList<>();
    private final long weightBytes;

    /**
     * Loads the weight matrices.
     *
     * @param dir the checkpoint folder
     * @param config its configuration
     * @param device where to multiply
     * @param dtype the compute dtype (FLOAT32 or FLOAT16)
     */
    public MatmulFloor(Path dir, LlamaConfig config, Device device, DataType dtype) {
        manager = NDManager.newBaseManager(device, "PyTorch");
        try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(dir)) {
            int hidden = config.hiddenSize();
            int attention = config.numAttentionHeads() * config.headDim();
            NDArray xHidden = manager.randomNormal(0, 1, new Shape(1, hidden), DataType.FLOAT32).toType(dtype, false);
            NDArray xAttention = manager.randomNormal(0, 1, new Shape(1, attention), DataType.FLOAT32)
                    .toType(dtype, false);
            NDArray xFfn = manager.randomNormal(0, 1, new Shape(1, config.intermediateSize()), DataType.FLOAT32)
                    .toType(dtype, false);
            long bytes = 0;
            for (int i = 0; i < config.numHiddenLayers(); i++) {
                String p = "model.layers." + i + ".";
                bytes += add(fused(checkpoint, dtype, p + "self_attn.q_proj.weight", p + "self_attn.k_proj.weight",
                        p + "self_attn.v_proj.weight"), xHidden);
                bytes += add(checkpoint.load(p + "self_attn.o_proj.weight", manager, dtype), xAttention);
                bytes += add(fused(checkpoint, dtype, p + "mlp.gate_proj.weight", p + "mlp.up_proj.weight"), xHidden);
                bytes += add(checkpoint.load(p + "mlp.down_proj.weight", manager, dtype), xFfn);
            }
            String head = config.tieWordEmbeddings() ? "model.embed_tokens.weight" : "lm_head.weight";
            bytes += add(checkpoint.load(head, manager, dtype), xHidden);
            weightBytes = bytes;
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    private long add(NDArray weight, NDArray input) {
        weights.add(weight);
        inputs.add(input);
        return weight.size() * weight.getDataType().getNumOfBytes();
    }

    private NDArray fused(SafetensorsCheckpoint checkpoint, DataType dtype, String... names) {
        NDList parts = new NDList();
        for (String name : names) {
            parts.add(checkpoint.load(name, manager, dtype));
        }
        NDArray fused = NDArrays.concat(parts, 0);
        parts.close();
        return fused;
    }

    /** @return the number of matrix products in one step (4 per layer and the output projection) */
    public int products() {
        return weights.size();
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
