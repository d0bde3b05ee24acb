package dev.ivl.djl.testutil;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A deliberately simple, independent safetensors reader for tests (whole file on the heap, F32 and I64 only), used
 * to read reference outputs without going through the production loader.
 */
public final class RawSafetensors {
    private final ByteBuffer data;
    private final JsonObject header;

    private RawSafetensors(ByteBuffer data, JsonObject header) {
        this.data = data;
        this.header = header;
    }

    /** @return the file's tensors */
    public static RawSafetensors read(Path file) {
        try {
            ByteBuffer all = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
            int n = (int) all.getLong(0);
            String json = new String(all.array(), 8, n, StandardCharsets.UTF_8);
            ByteBuffer data = all.position(8 + n).slice().order(ByteOrder.LITTLE_ENDIAN);
            return new RawSafetensors(data, JsonParser.parseString(json).getAsJsonObject());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @return the shape of a tensor */
    public long[] shape(String name) {
        var dims = header.getAsJsonObject(name).getAsJsonArray("shape");
        long[] shape = new long[dims.size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = dims.get(i).getAsLong();
        }
        return shape;
    }

    private int start(String name) {
        return header.getAsJsonObject(name).getAsJsonArray("data_offsets").get(0).getAsInt();
    }

    private void expect(String name, String dtype) {
        String actual = header.getAsJsonObject(name).get("dtype").getAsString();
        if (!actual.equals(dtype)) {
            throw new IllegalArgumentException(name + " is " + actual + ", not " + dtype);
        }
    }

    /** @return an F32 tensor's values, row-major */
    public float[] floats(String name) {
        expect(name, "F32");
        long count = 1;
        for (long d : shape(name)) {
            count *= d;
        }
        float[] out = new float[(int) count];
        data.duplicate().order(ByteOrder.LITTLE_ENDIAN).position(start(name)).slice().order(ByteOrder.LITTLE_ENDIAN)
                .asFloatBuffer().get(out);
        return out;
    }

    /** @return an I64 tensor's values as ints */
    public int[] ints(String name) {
        expect(name, "I64");
        long count = 1;
        for (long d : shape(name)) {
            count *= d;
        }
        int[] out = new int[(int) count];
        ByteBuffer b = data.duplicate().order(ByteOrder.LITTLE_ENDIAN).position(start(name)).slice()
                .order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < out.length; i++) {
            out[i] = Math.toIntExact(b.getLong(i * 8));
        }
        return out;
    }
}
