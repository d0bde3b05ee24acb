package dev.ivl.djl.llama;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import dev.ivl.core.IllegalParameterException;
import dev.ivl.djl.engine.Diagnosis;
import dev.ivl.djl.engine.EngineDetector;
import java.util.Locale;

/**
 * How to load a LLaMA checkpoint. Build with {@link #builder()}; defaults: CPU, float32 on CPU and float16 on GPU,
 * the context of {@code config.json}, prefill in chunks of 512 tokens.
 *
 * @param device {@code cpu}, {@code gpu} or {@code gpu:i}; a GPU PyTorch cannot use is refused with the diagnosis of
 *     {@link Diagnosis#gpu}, never replaced by the CPU
 * @param dtype the weight and compute dtype, {@code FLOAT32} or {@code FLOAT16}; null for the device's default
 * @param maxSequenceLength the largest context a session may use; 0 for the checkpoint's own
 * @param prefillChunk the most prompt tokens run through the model in one pass (bounds attention memory)
 */
public record LoadOptions(String device, DataType dtype, int maxSequenceLength, int prefillChunk) {
    /**
     * Validates the options.
     *
     * @throws IllegalParameterException naming the invalid option; for a GPU that cannot be used, with the reason
     */
    public LoadOptions {
        parseDevice(device);
        if (dtype != null && dtype != DataType.FLOAT32 && dtype != DataType.FLOAT16) {
            throw new IllegalParameterException("dtype", dtype, "must be float32 or float16");
        }
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

    /** @return the dtype to use: the configured one, else float16 on GPU and float32 on CPU */
    public DataType effectiveDtype() {
        if (dtype != null) {
            return dtype;
        }
        return djlDevice().isGpu() ? DataType.FLOAT16 : DataType.FLOAT32;
    }

    /**
     * @param name {@code f32}, {@code float32}, {@code f16} or {@code float16}
     * @return the dtype
     */
    public static DataType parseDtype(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "f32", "float32", "fp32" -> DataType.FLOAT32;
            case "f16", "float16", "fp16", "half" -> DataType.FLOAT16;
            default -> throw new IllegalParameterException("dtype", name, "must be f32 or f16");
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

        private Builder() {}

        /** @param value {@code cpu}, {@code gpu} or {@code gpu:i} @return this */
        public Builder device(String value) {
            device = value;
            return this;
        }

        /** @param value FLOAT32 or FLOAT16 @return this */
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

        /** @return the validated options */
        public LoadOptions build() {
            return new LoadOptions(device, dtype, maxSequenceLength, prefillChunk);
        }
    }
}
