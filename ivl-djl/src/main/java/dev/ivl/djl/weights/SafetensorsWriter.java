package dev.ivl.djl.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.ivl.core.IllegalParameterException;
import dev.ivl.core.IvlException;
import dev.ivl.djl.internal.AtomicFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Writes tensors as a standard {@code .safetensors} file: FLOAT32 or FLOAT16 {@link NDArray}s (stored as F32 or
 * F16), Java float arrays stored as F32, F16 or BF16 (rounded to nearest even), or Java int arrays stored as I32, with
 * optional
 * {@code __metadata__} strings. Tensors are laid out by decreasing element size, then by name, after a header padded
 * to a multiple of 8 bytes, so every tensor is aligned to its element size.
 *
 * <p>Collect tensors with {@link #add} and write them with {@link #write(Path)}; nothing is copied before then, so
 * arrays must stay open and float arrays unchanged until {@code write} returns. Tensors too large to hold in memory
 * can be streamed: {@link #add(String, long[], String, FloatSource)} takes a {@link FloatSource} that the writer
 * asks for one chunk of elements at a time while it writes, so writing holds at most one chunk (1 MiB of stored
 * bytes) of any such tensor. The file is written next to its destination and moved into place, so readers never
 * see half a file.
 */
public final class SafetensorsWriter {
    private static final int CHUNK_BYTES = 1 << 20;

    private final Map<String, Entry> entries = new LinkedHashMap<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    /** Creates an empty writer. */
    public SafetensorsWriter() {}

    /**
     * Writes {@code tensors} with {@code metadata} to {@code file}; shorthand for a writer holding them.
     *
     * @param file the destination; its folder is created if needed, an existing file is replaced
     * @param tensors name → FLOAT32 or FLOAT16 array
     * @param metadata {@code __metadata__} entries, possibly empty
     * @throws IllegalParameterException if a name or array is invalid (see {@link #add(String, NDArray)})
     * @throws IvlException if the file cannot be written
     */
    public static void write(Path file, Map<String, NDArray> tensors, Map<String, String> metadata) {
        SafetensorsWriter writer = new SafetensorsWriter();
        metadata.forEach(writer::putMetadata);
        tensors.forEach(writer::add);
        writer.write(file);
    }

    /**
     * @param key a {@code __metadata__} key
     * @param value its value
     * @return this writer
     */
    public SafetensorsWriter putMetadata(String key, String value) {
        metadata.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
        return this;
    }

    /**
     * Adds an engine array, stored as F32 (FLOAT32) or F16 (FLOAT16). It is read when the file is written.
     *
     * @param name the tensor name; not {@code __metadata__}, not already added
     * @param array a FLOAT32 or FLOAT16 array
     * @return this writer
     * @throws IllegalParameterException if the name is taken or reserved, or the array has another type
     */
    public SafetensorsWriter add(String name, NDArray array) {
        DataType type = array.getDataType();
        Dtype dtype;
        if (type == DataType.FLOAT32) {
            dtype = Dtype.F32;
        } else if (type == DataType.FLOAT16) {
            dtype = Dtype.F16;
        } else {
            throw new IllegalParameterException("tensor '" + name + "'", type, "must be FLOAT32 or FLOAT16");
        }
        put(name, new Entry(dtype, array.getShape().getShape(), array, null, null));
        return this;
    }

    /**
     * Adds Java ints in row-major order, stored as I32.
     *
     * @param name the tensor name; not {@code __metadata__}, not already added
     * @param values the elements; not copied
     * @param shape the dimensions, whose product is {@code values.length} (empty for a scalar)
     * @return this writer
     * @throws IllegalParameterException if the name is taken or reserved, or the shape does not fit the values
     */
    public SafetensorsWriter add(String name, int[] values, long[] shape) {
        checkFits(name, shape, values.length);
        put(name, new Entry(Dtype.I32, shape.clone(), null, null, values));
        return this;
    }

    /**
     * Adds Java floats in row-major order, stored as {@code dtype} (F16 and BF16 round to nearest even; values out
     * of F16's range become infinities).
     *
     * @param name the tensor name; not {@code __metadata__}, not already added
     * @param values the elements; not copied
     * @param shape the dimensions, whose product is {@code values.length} (empty for a scalar)
     * @param dtype {@code "F32"}, {@code "F16"} or {@code "BF16"}
     * @return this writer
     * @throws IllegalParameterException if the name is taken or reserved, the shape does not fit the values, or the
     *     dtype is another
     */
    public SafetensorsWriter add(String name, float[] values, long[] shape, String dtype) {
        Dtype type = floatType(name, dtype);
        checkFits(name, shape, values.length);
        put(name, new Entry(type, shape.clone(), null,
                (offset, chunk, length) -> System.arraycopy(values, (int) offset, chunk, 0, length), null));
        return this;
    }

    private static void checkFits(String name, long[] shape, int values) {
        if (elements(name, shape) != values) {
            throw new IllegalParameterException("shape of tensor '" + name + "'", Arrays.toString(shape),
                    "must have as many elements as the " + values + " values");
        }
    }

    /**
     * Adds a tensor whose elements are produced while the file is written, chunk by chunk, in row-major order, and
     * stored as {@code dtype} (rounded as by {@link #add(String, float[], long[], String)}). The writer asks for
     * consecutive ranges from offset 0 to the end, each of at most 1 MiB once stored (2<sup>18</sup> F32 or
     * 2<sup>19</sup> F16/BF16 elements), once per call of {@link #write(Path)}; it keeps no element after storing
     * it.
     *
     * @param name the tensor name; not {@code __metadata__}, not already added
     * @param shape the dimensions (empty for a scalar)
     * @param dtype {@code "F32"}, {@code "F16"} or {@code "BF16"}
     * @param source produces the elements
     * @return this writer
     * @throws IllegalParameterException if the name is taken or reserved, a dimension is negative, or the dtype is
     *     another
     */
    public SafetensorsWriter add(String name, long[] shape, String dtype, FloatSource source) {
        Dtype type = floatType(name, dtype);
        elements(name, shape);
        put(name, new Entry(type, shape.clone(), null, Objects.requireNonNull(source, "source"), null));
        return this;
    }

    /** Produces the elements of a streamed tensor; see {@link #add(String, long[], String, FloatSource)}. */
    @FunctionalInterface
    public interface FloatSource {
        /**
         * Fills {@code chunk[0, length)} with the elements at row-major indices {@code [offset, offset + length)}.
         *
         * @param offset the index of the first element
         * @param chunk the destination, at least {@code length} long
         * @param length how many elements to produce, &gt; 0
         */
        void fill(long offset, float[] chunk, int length);
    }

    private static Dtype floatType(String name, String dtype) {
        Dtype type = Dtype.parse(dtype);
        if (type == null || !type.isLoadableFloat()) {
            throw new IllegalParameterException("dtype of tensor '" + name + "'", dtype, "must be F32, F16 or BF16");
        }
        return type;
    }

    private static long elements(String name, long[] shape) {
        long elements = 1;
        for (long dim : shape) {
            if (dim < 0) {
                throw new IllegalParameterException("shape of tensor '" + name + "'", Arrays.toString(shape),
                        "must not have negative dimensions");
            }
            try {
                elements = Math.multiplyExact(elements, dim);
            } catch (ArithmeticException e) {
                throw new IllegalParameterException("shape of tensor '" + name + "'", Arrays.toString(shape),
                        "has more elements than a file can hold");
            }
        }
        return elements;
    }

    /**
     * Writes the file.
     *
     * @param file the destination; its folder is created if needed, an existing regular file is replaced
     * @throws IvlException if the file cannot be written, or the destination exists and is not a regular file (a
     *     folder, a link, a FIFO or a device is never replaced)
     */
    public void write(Path file) {
        List<Map.Entry<String, Entry>> ordered = new ArrayList<>(entries.entrySet());
        ordered.sort(Comparator.comparingInt((Map.Entry<String, Entry> e) -> -e.getValue().dtype.bytes())
                .thenComparing(Map.Entry::getKey));
        byte[] header = header(ordered);
        try {
            AtomicFiles.write(file, temporary -> {
                try (FileChannel out = FileChannel.open(temporary, StandardOpenOption.TRUNCATE_EXISTING,
                        StandardOpenOption.WRITE)) {
                    ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN)
                            .putLong(0, header.length);
                    writeFully(out, prefix);
                    writeFully(out, ByteBuffer.wrap(header));
                    for (Map.Entry<String, Entry> e : ordered) {
                        e.getValue().writeData(out);
                    }
                }
            });
        } catch (IOException e) {
            throw new IvlException(file + ": cannot write safetensors file: "
                    + (e.getClass() == IOException.class ? e.getMessage() : e.toString()), e);
        }
    }

    private void put(String name, Entry entry) {
        Objects.requireNonNull(name, "name");
        if (name.equals("__metadata__")) {
            throw new IllegalParameterException("tensor name", name, "is reserved for metadata");
        }
        if (entries.putIfAbsent(name, entry) != null) {
            throw new IllegalParameterException("tensor name", name, "was already added");
        }
    }

    /** @return the JSON header, padded with spaces to a multiple of 8 bytes */
    private byte[] header(List<Map.Entry<String, Entry>> ordered) {
        JsonObject json = new JsonObject();
        if (!metadata.isEmpty()) {
            JsonObject meta = new JsonObject();
            metadata.forEach(meta::addProperty);
            json.add("__metadata__", meta);
        }
        long offset = 0;
        for (Map.Entry<String, Entry> e : ordered) {
            Entry entry = e.getValue();
            JsonObject tensor = new JsonObject();
            tensor.addProperty("dtype", entry.dtype.name());
            JsonArray shape = new JsonArray();
            for (long dim : entry.shape) {
                shape.add(dim);
            }
            tensor.add("shape", shape);
            JsonArray offsets = new JsonArray();
            offsets.add(offset);
            offset += entry.byteSize();
            offsets.add(offset);
            tensor.add("data_offsets", offsets);
            json.add(e.getKey(), tensor);
        }
        byte[] text = new Gson().toJson(json).getBytes(StandardCharsets.UTF_8);
        int padded = (text.length + 7) / 8 * 8;
        byte[] header = Arrays.copyOf(text, padded);
        Arrays.fill(header, text.length, padded, (byte) ' ');
        return header;
    }

    private static void writeFully(FileChannel out, ByteBuffer bytes) throws IOException {
        while (bytes.hasRemaining()) {
            out.write(bytes);
        }
    }

    /** One tensor to write: from an engine array, a source of Java floats or Java ints. */
    private static final class Entry {
        final Dtype dtype;
        final long[] shape;
        final NDArray array;
        final FloatSource source;
        final int[] ints;

        Entry(Dtype dtype, long[] shape, NDArray array, FloatSource source, int[] ints) {
            this.dtype = dtype;
            this.shape = shape;
            this.array = array;
            this.source = source;
            this.ints = ints;
        }

        long byteSize() {
            long elements = 1;
            for (long dim : shape) {
                elements *= dim;
            }
            return elements * dtype.bytes();
        }

        void writeData(FileChannel out) throws IOException {
            if (array != null) {
                writeArray(out);
            } else if (ints != null) {
                writeInts(out);
            } else {
                writeValues(out);
            }
        }

        private void writeInts(FileChannel out) throws IOException {
            ByteBuffer chunk = ByteBuffer.allocate(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            for (int offset = 0; offset < ints.length; ) {
                int n = Math.min(CHUNK_BYTES / Integer.BYTES, ints.length - offset);
                chunk.clear();
                chunk.asIntBuffer().put(ints, offset, n);
                chunk.limit(n * Integer.BYTES);
                writeFully(out, chunk);
                offset += n;
            }
        }

        private void writeArray(FileChannel out) throws IOException {
            // native-order bytes (a direct view of the array's memory where the engine allows it), copied through a
            // little-endian chunk: a plain copy on little-endian hosts, a byte swap elsewhere
            ByteBuffer data = array.toByteBuffer(true);
            ByteBuffer chunk = ByteBuffer.allocate(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            while (data.hasRemaining()) {
                int n = Math.min(CHUNK_BYTES, data.remaining());
                ByteBuffer part = data.slice(data.position(), n).order(ByteOrder.nativeOrder());
                chunk.clear();
                if (dtype == Dtype.F32) {
                    chunk.asFloatBuffer().put(part.asFloatBuffer());
                } else {
                    chunk.asShortBuffer().put(part.asShortBuffer());
                }
                chunk.limit(n);
                writeFully(out, chunk);
                data.position(data.position() + n);
            }
        }

        private void writeValues(FileChannel out) throws IOException {
            ByteBuffer chunk = ByteBuffer.allocate(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            long total = byteSize() / dtype.bytes();
            float[] values = new float[(int) Math.min(total, CHUNK_BYTES / dtype.bytes())];
            for (long offset = 0; offset < total; ) {
                int n = (int) Math.min(values.length, total - offset);
                source.fill(offset, values, n);
                chunk.clear();
                for (int i = 0; i < n; i++) {
                    switch (dtype) {
                        case F32 -> chunk.putFloat(values[i]);
                        case F16 -> chunk.putShort(HalfFloats.floatToF16(values[i]));
                        default -> chunk.putShort(HalfFloats.floatToBf16(values[i]));
                    }
                }
                writeFully(out, chunk.flip());
                offset += n;
            }
        }
    }
}
