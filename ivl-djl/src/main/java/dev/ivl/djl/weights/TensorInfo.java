package dev.ivl.djl.weights;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;

/**
 * Where one tensor of a safetensors checkpoint is stored, as validated from the file's header.
 *
 * @param name the tensor's name, e.g. {@code model.layers.0.self_attn.q_proj.weight}
 * @param file the {@code .safetensors} file holding it
 * @param dtype the element type as spelled in the header: {@code "F32"}, {@code "F16"}, {@code "BF16"},
 *     {@code "I64"}, ...
 * @param shape the dimensions, outermost first (empty for a scalar); the accessor returns a copy
 * @param offsetStart the absolute position in {@code file} of the tensor's first byte
 * @param offsetEnd the absolute position in {@code file} just past its last byte
 */
public record TensorInfo(String name, Path file, String dtype, long[] shape, long offsetStart, long offsetEnd) {

    /** Copies the shape and checks that the byte range is not reversed. */
    public TensorInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(dtype, "dtype");
        shape = shape.clone();
        if (offsetStart < 0 || offsetEnd < offsetStart) {
            throw new IllegalArgumentException("byte range [" + offsetStart + ", " + offsetEnd + ") of " + name);
        }
    }

    /** @return a copy of the dimensions */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** @return the number of elements (1 for a scalar) */
    public long elementCount() {
        long count = 1;
        for (long dim : shape) {
            count *= dim;
        }
        return count;
    }

    /** @return the number of bytes the tensor occupies in the file */
    public long byteSize() {
        return offsetEnd - offsetStart;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t
                && name.equals(t.name)
                && file.equals(t.file)
                && dtype.equals(t.dtype)
                && Arrays.equals(shape, t.shape)
                && offsetStart == t.offsetStart
                && offsetEnd == t.offsetEnd;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, file, dtype, Arrays.hashCode(shape), offsetStart, offsetEnd);
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape) + " in " + file
                + " [" + offsetStart + ", " + offsetEnd + ")";
    }
}
