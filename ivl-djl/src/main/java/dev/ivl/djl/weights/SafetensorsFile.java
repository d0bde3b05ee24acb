package dev.ivl.djl.weights;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.ivl.djl.internal.Json;
import dev.ivl.core.Limits;
import dev.ivl.core.ModelFormatException;
import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One open {@code .safetensors} file: its validated header and a channel for positional reads. The format is an
 * 8-byte little-endian header length N, N bytes of JSON mapping tensor names to {@code dtype}, {@code shape} and
 * {@code data_offsets} (relative to the end of the header) plus an optional {@code __metadata__} string map, then
 * the data.
 */
final class SafetensorsFile implements AutoCloseable {
    /** The largest header accepted; the reference implementation has the same limit. */
    static final long MAX_HEADER_BYTES = Limits.MAX_SAFETENSORS_HEADER_BYTES;

    private static final String METADATA_KEY = "__metadata__";

    private final Path file;
    private final FileChannel channel;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;

    private SafetensorsFile(Path file, FileChannel channel, Map<String, TensorInfo> tensors,
            Map<String, String> metadata) {
        this.file = file;
        this.channel = channel;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /**
     * Opens {@code file} and validates its whole header: every tensor's type, shape and byte range.
     *
     * @throws ModelFormatException if the file is missing, unreadable or not a valid safetensors file
     */
    static SafetensorsFile open(Path file) {
        if (!Files.exists(file)) {
            throw new ModelFormatException(file, "file not found");
        }
        if (!Files.isRegularFile(file)) {
            throw new ModelFormatException(file, "not a regular file");
        }
        FileChannel channel;
        try {
            channel = FileChannel.open(file, StandardOpenOption.READ);
        } catch (IOException e) {
            throw new ModelFormatException(file, "cannot open: " + e, e);
        }
        try {
            long size = channel.size();
            if (size < 8) {
                throw new ModelFormatException(file, "file has " + size
                        + " bytes, shorter than the 8-byte header length");
            }
            ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, prefix, 0, file);
            long headerLength = prefix.getLong(0);
            if (headerLength < 2 || headerLength > MAX_HEADER_BYTES) {
                throw new ModelFormatException(file, "header length " + Long.toUnsignedString(headerLength)
                        + " is not in [2, " + MAX_HEADER_BYTES + "]");
            }
            if (headerLength > size - 8) {
                throw new ModelFormatException(file, "header length " + headerLength + " goes past the end of the "
                        + size + "-byte file");
            }
            ByteBuffer header = ByteBuffer.allocate((int) headerLength);
            readFully(channel, header, 8, file);
            JsonObject json = parseHeader(file, header);
            long dataStart = 8 + headerLength;
            Map<String, String> metadata = parseMetadata(file, json.get(METADATA_KEY));
            Map<String, TensorInfo> tensors = parseTensors(file, json, dataStart, size - dataStart);
            return new SafetensorsFile(file, channel, tensors, metadata);
        } catch (IOException e) {
            closeQuietly(channel);
            throw new ModelFormatException(file, "cannot read: " + e, e);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    /** @return the file */
    Path file() {
        return file;
    }

    /** @return the tensors, sorted by name */
    Map<String, TensorInfo> tensors() {
        return tensors;
    }

    /** @return the {@code __metadata__} entries (empty when absent) */
    Map<String, String> metadata() {
        return metadata;
    }

    /**
     * Reads {@code dst.remaining()} bytes starting at absolute file position {@code position}.
     *
     * @throws ModelFormatException if the file cannot be read or ends early (it changed since it was opened)
     */
    void read(ByteBuffer dst, long position) {
        try {
            readFully(channel, dst, position, file);
        } catch (IOException e) {
            throw new ModelFormatException(file, "cannot read: " + e, e);
        }
    }

    @Override
    public void close() {
        closeQuietly(channel);
    }

    private static void readFully(FileChannel channel, ByteBuffer dst, long position, Path file) throws IOException {
        long at = position;
        while (dst.hasRemaining()) {
            int n = channel.read(dst, at);
            if (n < 0) {
                throw new ModelFormatException(file, "file ends at byte " + at + " (was it truncated while open?)");
            }
            at += n;
        }
    }

    private static JsonObject parseHeader(Path file, ByteBuffer header) {
        header.flip();
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(header)
                    .toString();
        } catch (CharacterCodingException e) {
            throw new ModelFormatException(file, "header is not UTF-8 text", e);
        }
        JsonElement root = Json.parse(file, "header", new StringReader(text));
        if (!root.isJsonObject()) {
            throw new ModelFormatException(file, "header is not a JSON object");
        }
        return root.getAsJsonObject();
    }

    private static Map<String, String> parseMetadata(Path file, JsonElement element) {
        if (element == null || element.isJsonNull()) {
            return Map.of();
        }
        if (!element.isJsonObject()) {
            throw new ModelFormatException(file, METADATA_KEY + " is not a JSON object");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> e : element.getAsJsonObject().entrySet()) {
            JsonElement value = e.getValue();
            if (!(value.isJsonPrimitive() && value.getAsJsonPrimitive().isString())) {
                throw new ModelFormatException(file, METADATA_KEY + "." + e.getKey() + " is not a string: " + value);
            }
            metadata.put(e.getKey(), value.getAsString());
        }
        return Collections.unmodifiableMap(metadata);
    }

    private static Map<String, TensorInfo> parseTensors(Path file, JsonObject json, long dataStart, long dataSize) {
        Map<String, TensorInfo> tensors = new TreeMap<>();
        for (Map.Entry<String, JsonElement> e : json.entrySet()) {
            String name = e.getKey();
            if (!name.equals(METADATA_KEY)) {
                tensors.put(name, parseTensor(file, name, e.getValue(), dataStart, dataSize));
            }
        }
        checkNoOverlap(file, tensors.values());
        return Collections.unmodifiableMap(tensors);
    }

    private static TensorInfo parseTensor(Path file, String name, JsonElement element, long dataStart, long dataSize) {
        String where = "tensor '" + name + "': ";
        if (!element.isJsonObject()) {
            throw new ModelFormatException(file, where + "entry is not a JSON object");
        }
        JsonObject entry = element.getAsJsonObject();

        JsonElement dtypeElement = entry.get("dtype");
        if (dtypeElement == null || !dtypeElement.isJsonPrimitive() || !dtypeElement.getAsJsonPrimitive().isString()) {
            throw new ModelFormatException(file, where + "missing or non-string dtype");
        }
        String dtypeName = dtypeElement.getAsString();
        Dtype dtype = Dtype.parse(dtypeName);
        if (dtype == null) {
            throw new ModelFormatException(file, where + "unsupported dtype '" + dtypeName + "'");
        }

        JsonElement shapeElement = entry.get("shape");
        if (shapeElement == null || !shapeElement.isJsonArray()) {
            throw new ModelFormatException(file, where + "missing or non-array shape");
        }
        JsonArray shapeArray = shapeElement.getAsJsonArray();
        long[] shape = new long[shapeArray.size()];
        long elements = 1;
        for (int i = 0; i < shape.length; i++) {
            Long dim = Json.exactLong(shapeArray.get(i));
            if (dim == null) {
                throw new ModelFormatException(file, where + "shape " + shapeArray + " has a non-integer dimension");
            }
            if (dim < 0) {
                throw new ModelFormatException(file, where + "shape " + shapeArray + " has a negative dimension");
            }
            shape[i] = dim;
            elements = multiply(elements, dim);
        }

        JsonElement offsetsElement = entry.get("data_offsets");
        if (offsetsElement == null || !offsetsElement.isJsonArray() || offsetsElement.getAsJsonArray().size() != 2) {
            throw new ModelFormatException(file, where + "missing data_offsets, or not a [start, end] pair");
        }
        JsonArray offsets = offsetsElement.getAsJsonArray();
        Long start = Json.exactLong(offsets.get(0));
        Long end = Json.exactLong(offsets.get(1));
        if (start == null || end == null || start < 0 || end < 0) {
            throw new ModelFormatException(file, where + "data_offsets " + offsets + " are not non-negative integers");
        }
        if (end < start) {
            throw new ModelFormatException(file, where + "data_offsets " + offsets + " end before they start");
        }
        if (end > dataSize) {
            throw new ModelFormatException(file, where + "data_offsets " + offsets + " go past the data region of "
                    + dataSize + " bytes");
        }
        long expected = multiply(elements, dtype.bytes());
        if (end - start != expected) {
            throw new ModelFormatException(file, where + "data_offsets " + offsets + " span " + (end - start)
                    + " bytes but " + dtypeName + " shape " + shapeArray + " needs " + expected);
        }
        return new TensorInfo(name, file, dtypeName, shape, dataStart + start, dataStart + end);
    }

    private static void checkNoOverlap(Path file, Iterable<TensorInfo> infos) {
        List<TensorInfo> sorted = new ArrayList<>();
        for (TensorInfo info : infos) {
            if (info.byteSize() > 0) {
                sorted.add(info);
            }
        }
        sorted.sort(Comparator.comparingLong(TensorInfo::offsetStart));
        for (int i = 1; i < sorted.size(); i++) {
            TensorInfo previous = sorted.get(i - 1);
            TensorInfo current = sorted.get(i);
            if (current.offsetStart() < previous.offsetEnd()) {
                throw new ModelFormatException(file, "tensors '" + previous.name() + "' and '" + current.name()
                        + "' overlap in bytes [" + current.offsetStart() + ", " + previous.offsetEnd() + ")");
            }
        }
    }

    /** @return {@code a × b}, saturating at Long.MAX_VALUE (such a size never matches a real byte range) */
    private static long multiply(long a, long b) {
        try {
            return Math.multiplyExact(a, b);
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing useful to do: the channel was only read
        }
    }
}
