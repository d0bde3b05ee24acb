package dev.ivl.djl.weights;

import dev.ivl.core.IvlException;

/**
 * A tensor asked for as float16 holds a finite value beyond float16's range (±65504), which would become infinite.
 * {@link dev.ivl.djl.llama.LlamaModel} catches it and keeps that tensor in float32.
 */
public final class Float16OverflowException extends IvlException {
    private final String tensor;
    private final float value;

    /**
     * @param tensor the tensor's name
     * @param value the first value found out of range
     */
    public Float16OverflowException(String tensor, float value) {
        super("tensor " + tensor + " holds " + value + ", beyond float16's range (±65504)");
        this.tensor = tensor;
        this.value = value;
    }

    /** @return the tensor's name */
    public String tensor() {
        return tensor;
    }

    /** @return the first value found out of range */
    public float value() {
        return value;
    }
}
