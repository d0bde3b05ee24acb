package dev.ivl.djl.llama;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import dev.ivl.core.IllegalParameterException;
import dev.ivl.djl.engine.Diagnosis;
import dev.ivl.djl.engine.EngineDetector;
import dev.ivl.djl.quant.Int8Matrix;
import java.util.Locale;

/**
 * How to load a LLaMA checkpoint. Build with {@link #builder()}; defaults: CPU; float16 weights on a GPU, and on the
 * CPU the checkpoint's own precision (float16 weights for a float16 or bfloat16 checkpoint, else float32); the
 * context of {@code config.json}; prefill in chunks of 512 tokens.
 *
 * <p>On the CPU, float16 weights are multiplied as stored while everything else (norms, rotary embedding,
 * attention, residual sums, the KV cache, the logits) runs in float32, which the CPU computes faster than float16
 * and more exactly; on a GPU a float16 model computes in float16 throughout.
 *
 * @param device {@code cpu}, {@code gpu} or {@code gpu:i}; a GPU PyTorch cannot use is refused with the diagnosis of
 *     {@link Diagnosis#gpu}, never replaced by the CPU
 * @param dtype the weight dtype, {@code FLOAT32}, {@code FLOAT16} or {@code INT8} (CPU only: projections and
 *     lm_head quantized at load with a scale per output row, embeddings in float16; the JVM needs
 *     {@code --add-modules jdk.incubator.vector}); null for the default (above)
 * @param maxSequenceLength the largest context a session may use; 0 for the checkpoint's own
 * @param prefillChunk the most prompt tokens run through the model in one pass (bounds attention memory)
 * @param javaSteps whether decode steps on the CPU may run in Java ({@code HostStep}) where that was measured
 *     faster (true by default); false keeps every pass on the engine, for comparisons and op counts
 */
public record LoadOptions(String device, DataType dtype, int maxSequenceLength, int prefillChunk, boolean javaSteps) {
    /**
     * Validates the options.
     *
     * @throws IllegalParameterException naming the invalid option; for a GPU that cannot be used, with the reason
     */
    public LoadOptions {
        if (dtype != null && dtype != DataType.FLOAT32 && dtype != DataType.FLOAT16 && dtype != DataType.INT8) {
            throw new IllegalParameterException("dtype", dtype, "must be float32, float16 or int8");
        }
        if (dtype == DataType.INT8) {
            if (device == null || !device.toLowerCase(Locale.ROOT).trim().equals("cpu")) {
                throw new IllegalParameterException("dtype", "int8", "runs on the CPU only (device " + device + ")");
            }
            Int8Matrix.requireAvailable("dtype");
        }
        parseDevice(device);
        if (maxSequenceLength < 0) {
            throw new IllegalParameterException("maxSequenceLength", maxSequenceLength, "must be >= 0 (0: from config)");
        }
        if (prefillChunk < 1) {
            throw new IllegalParameterException("prefillChunk", prefillChunk, "must be >= 1");
        }
    }

    /** @return a builder with the defaults */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the default options */
    public static LoadOptions defaults() {
        return builder().build();
    }

    /** @return the DJL device */
    public Device djlDevice() {
        return parseDevice(device);
    }

    /**
     * @param checkpointDtype the checkpoint's {@code torch_dtype} ({@code float16}, {@code bfloat16}, ...), or null
     * @return the weight dtype: the configured one, else float16 on a GPU, else float16 for a float16 or bfloat16
     *     checkpoint and float32 for any other
     */
    public DataType weightDtype(String checkpointDtype) {
        if (dtype != null) {
            return dtype;
        }
        boolean half = "float16".equals(checkpointDtype) || "bfloat16".equals(checkpointDtype);
        return djlDevice().isGpu() || half ? DataType.FLOAT16 : DataType.FLOAT32;
    }

    /**
     * @param weights the weight dtype
     * @return the dtype of activations, caches and logits: float32 on the CPU, the weights' on a GPU
     */
    public DataType computeDtype(DataType weights) {
        return djlDevice().isGpu() ? weights : DataType.FLOAT32;
    }

    /**
     * @param name {@code f32}, {@code float32}, {@code f16}, {@code float16} or {@code int8}
     * @return the dtype
     */
    public static DataType parseDtype(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "f32", "float32", "fp32" -> DataType.FLOAT32;
            case "f16", "float16", "fp16", "half" -> DataType.FLOAT16;
            case "int8", "i8", "q8" -> DataType.INT8;
            default -> throw new IllegalParameterException("dtype", name, "must be f32, f16 or int8");
        };
    }

    private static Device parseDevice(String name) {
        if (name == null) {
            throw new IllegalParameterException("device", null, "must be cpu, gpu or gpu:<index>");
        }
        String n = name.toLowerCase(Locale.ROOT).trim();
        if (n.equals("cpu")) {
            return Device.cpu();
        }
        if (n.equals("gpu") || n.matches("gpu:\\d+")) {
            int index = n.equals("gpu") ? 0 : Integer.parseInt(n.substring(4));
            if (index < visibleGpus()) {
                return Device.gpu(index);
            }
            // Never fall back to the CPU: say why this GPU cannot be had, as `ivl doctor` would.
            Diagnosis diagnosis = Diagnosis.gpu(EngineDetector.detect(), index);
            if (diagnosis.ready()) {
                return Device.gpu(index);
            }
            throw new IllegalParameterException("device", "device " + name + ": " + diagnosis.line());
        }
        throw new IllegalParameterException("device", name, "must be cpu, gpu or gpu:<index>");
    }

    /** @return the GPUs PyTorch can use, or 0 when its engine cannot start (then the diagnosis says why) */
    private static int visibleGpus() {
        try {
            return EngineDetector.engine().getGpuCount();
        } catch (RuntimeException | LinkageError e) {
            return 0;
        }
    }

    /** Builds {@link LoadOptions}. */
    public static final class Builder {
        private String device = "cpu";
        private DataType dtype;
        private int maxSequenceLength;
        private int prefillChunk = 512;
        private boolean javaSteps = true;

        private Builder() {}

        /** @param value {@code cpu}, {@code gpu} or {@code gpu:i} @return this */
        public Builder device(String value) {
            device = value;
            return this;
        }

        /** @param value FLOAT32, FLOAT16 or INT8, the weights' dtype; null for the default @return this */
        public Builder dtype(DataType value) {
            dtype = value;
            return this;
        }

        /** @param value the largest context, 0 for the checkpoint's @return this */
        public Builder maxSequenceLength(int value) {
            maxSequenceLength = value;
            return this;
        }

        /** @param value tokens per prefill pass @return this */
        public Builder prefillChunk(int value) {
            prefillChunk = value;
            return this;
        }

        /** @param value whether CPU decode steps may run in Java @return this */
        public Builder javaSteps(boolean value) {
            javaSteps = value;
            return this;
        }

        /** @return the validated options */
        public LoadOptions build() {
            return new LoadOptions(device, dtype, maxSequenceLength, prefillChunk, javaSteps);
        }
    }
}
