package dev.ivl.djl.weights;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A minimal safetensors reader written apart from the production one, as an independent reference in tests: it
 * reads the whole (small) file, assembles little-endian numbers byte by byte and decodes 16-bit floats from their
 * definition in double arithmetic.
 */
final class RawSafetensors {
    /** One header entry, offsets relative to the data region as in the file. */
    record Entry(String dtype, long[] shape, long start, long end) {}

    final byte[] bytes;
    final long headerLength;
    final Map<String, Entry> entries = new LinkedHashMap<>();
    final Map<String, String> metadata = new LinkedHashMap<>();

    private RawSafetensors(byte[] bytes) {
        this.bytes = bytes;
        this.headerLength = unsigned(0, 8);
        String header = new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8);
        JsonObject json = JsonParser.parseString(header).getAsJsonObject();
        for (Map.Entry<String, JsonElement> e : json.entrySet()) {
            JsonObject value = e.getValue().getAsJsonObject();
            if (e.getKey().equals("__metadata__")) {
                value.entrySet().forEach(m -> metadata.put(m.getKey(), m.getValue().getAsString()));
                continue;
            }
            long[] shape = new long[value.getAsJsonArray("shape").size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = value.getAsJsonArray("shape").get(i).getAsLong();
            }
            entries.put(e.getKey(), new Entry(value.get("dtype").getAsString(), shape,
                    value.getAsJsonArray("data_offsets").get(0).getAsLong(),
                    value.getAsJsonArray("data_offsets").get(1).getAsLong()));
        }
    }

    static RawSafetensors read(Path file) {
        try {
            return new RawSafetensors(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @return the little-endian unsigned number in {@code count} bytes at {@code at} */
    long unsigned(long at, int count) {
        long value = 0;
        for (int i = count - 1; i >= 0; i--) {
            value = (value << 8) | (bytes[(int) at + i] & 0xff);
        }
        return value;
    }

    /** @return the tensor's values decoded from the bytes (F32, F16 or BF16), in file order */
    float[] floats(String name) {
        Entry e = entries.get(name);
        long base = 8 + headerLength + e.start;
        int size = switch (e.dtype) {
            case "F32" -> 4;
            case "F16", "BF16" -> 2;
            default -> throw new IllegalArgumentException(e.dtype);
        };
        float[] values = new float[(int) ((e.end - e.start) / size)];
        for (int i = 0; i < values.length; i++) {
            int bits = (int) unsigned(base + (long) i * size, size);
            values[i] = switch (e.dtype) {
                case "F32" -> Float.intBitsToFloat(bits);
                case "F16" -> (float) f16(bits);
                default -> (float) bf16(bits);
            };
        }
        return values;
    }

    /** @return the I64 tensor's values */
    long[] longs(String name) {
        Entry e = entries.get(name);
        long base = 8 + headerLength + e.start;
        long[] values = new long[(int) ((e.end - e.start) / 8)];
        for (int i = 0; i < values.length; i++) {
            values[i] = unsigned(base + 8L * i, 8);
        }
        return values;
    }

    /** binary16 decoded by its definition, in double arithmetic (exact for every binary16 value). */
    static double f16(int bits) {
        return decode(bits, 5, 10);
    }

    /** bfloat16 decoded by its definition (8 exponent bits, 7 mantissa bits). */
    static double bf16(int bits) {
        return decode(bits, 8, 7);
    }

    /** (-1)^s × 2^(e - bias) × (1 + m / 2^mBits), or 2^(1 - bias) × m / 2^mBits when e = 0; inf/NaN at max e. */
    private static double decode(int bits, int exponentBits, int mantissaBits) {
        int bias = (1 << (exponentBits - 1)) - 1;
        int sign = bits >> (exponentBits + mantissaBits) & 1;
        int exponent = bits >> mantissaBits & ((1 << exponentBits) - 1);
        int mantissa = bits & ((1 << mantissaBits) - 1);
        double fraction = mantissa / Math.pow(2, mantissaBits);
        double magnitude;
        if (exponent == (1 << exponentBits) - 1) {
            magnitude = mantissa == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
        } else if (exponent == 0) {
            magnitude = Math.pow(2, 1 - bias) * fraction;
        } else {
            magnitude = Math.pow(2, exponent - bias) * (1 + fraction);
        }
        return sign == 1 ? -magnitude : magnitude;
    }
}
