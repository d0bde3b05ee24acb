package dev.ivl.djl.vocab;

import dev.ivl.core.InvalidInputException;
import dev.ivl.core.IvlException;
import dev.ivl.core.ModelFormatException;
import dev.ivl.core.vocab.align.Normalization;
import dev.ivl.core.vocab.align.PairCounts;
import dev.ivl.core.vocab.TokenMap;
import dev.ivl.core.vocab.align.VocabularyAlignment;
import dev.ivl.djl.weights.SafetensorsCheckpoint;
import dev.ivl.djl.weights.SafetensorsWriter;
import dev.ivl.djl.weights.TensorInfo;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The vocabulary map file: a standard {@code .safetensors} file (readable by any safetensors library) holding the
 * alignment's sparse matrices as compressed sparse row arrays, with a JSON header whose {@code __metadata__} names
 * both tokenizers (file name, SHA-256 of the {@code tokenizer.json}, vocabulary size, word-prefix marker), the
 * corpus (SHA-256, number of texts) and the normalisations.
 *
 * <p>Tensors: {@code counts.row_start} (I32, rows + 1), {@code counts.columns} (I32), {@code counts.values} (I32);
 * and for each normalisation {@code N} (e.g. {@code paper}, {@code prob-topk:8}) {@code map.N.row_start},
 * {@code map.N.columns} (I32) and {@code map.N.weights} (F32). Metadata: {@code format} =
 * {@value #FORMAT}, {@code format_version} = {@value #VERSION}, {@code base.name}, {@code base.sha256},
 * {@code base.vocab_size}, {@code base.marker}, the same for {@code value.*}, {@code corpus.sha256},
 * {@code corpus.texts}, {@code normalizations} (comma-separated, in order) and {@code selected}.
 */
public final class VocabularyMapFile {
    /** The {@code format} metadata value. */
    public static final String FORMAT = "ivl-vocabulary-map";
    /** The {@code format_version} metadata value this class writes and reads. */
    public static final String VERSION = "1";
    /** The metadata {@code format} of a counts-only file ({@link #writeCounts}). */
    public static final String COUNTS_FORMAT = "ivl-pair-counts";

    private VocabularyMapFile() {}

    /**
     * Writes an alignment. The file is written next to its destination and moved into place.
     *
     * @param file the destination; its folder is created if needed, an existing file is replaced
     * @param alignment the alignment
     * @throws IvlException if the file cannot be written
     */
    public static void write(Path file, VocabularyAlignment alignment) {
        Map<String, String> meta = describe(alignment, FORMAT);
        List<String> names = new ArrayList<>();
        alignment.maps().keySet().forEach(n -> names.add(n.toString()));
        meta.put("normalizations", String.join(",", names));
        meta.put("selected", alignment.selected().toString());

        SafetensorsWriter writer = new SafetensorsWriter();
        meta.forEach(writer::putMetadata);
        PairCounts counts = alignment.counts();
        vector(writer, "counts.row_start", counts.rowStart());
        vector(writer, "counts.columns", counts.columnIndices());
        vector(writer, "counts.values", counts.counts());
        for (Map.Entry<Normalization, TokenMap> e : alignment.maps().entrySet()) {
            String prefix = "map." + e.getKey() + ".";
            vector(writer, prefix + "row_start", e.getValue().rowStart());
            vector(writer, prefix + "columns", e.getValue().columnIndices());
            float[] weights = e.getValue().weights();
            writer.add(prefix + "weights", weights, new long[] {weights.length}, "F32");
        }
        writer.write(file);
    }

    /**
     * Writes only the raw pair counts, for anyone to recompute a normalisation: a safetensors file with the sparse
     * count matrix (|V_base| rows, |V_value| columns, CSR) as {@code counts.row_start}, {@code counts.columns} and
     * {@code counts.values} (I32), and the tokenizers and corpus in its metadata ({@code format}
     * {@value #COUNTS_FORMAT}).
     *
     * @param file the destination
     * @param alignment the alignment whose counts are written
     * @throws IvlException if the file cannot be written
     */
    public static void writeCounts(Path file, VocabularyAlignment alignment) {
        SafetensorsWriter writer = new SafetensorsWriter();
        describe(alignment, COUNTS_FORMAT).forEach(writer::putMetadata);
        PairCounts counts = alignment.counts();
        vector(writer, "counts.row_start", counts.rowStart());
        vector(writer, "counts.columns", counts.columnIndices());
        vector(writer, "counts.values", counts.counts());
        writer.write(file);
    }

    /** The metadata both files share: format, tokenizers, corpus. */
    private static Map<String, String> describe(VocabularyAlignment alignment, String format) {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", format);
        meta.put("format_version", VERSION);
        describe(meta, "base", alignment.base());
        describe(meta, "value", alignment.value());
        meta.put("corpus.sha256", alignment.corpus().sha256());
        meta.put("corpus.texts", Integer.toString(alignment.corpus().texts()));
        return meta;
    }

    private static void vector(SafetensorsWriter writer, String name, int[] values) {
        writer.add(name, values, new long[] {values.length});
    }

    /**
     * Reads an alignment, checking the format, every tensor's type and shape, and that the arrays form valid sparse
     * matrices of the tokenizers' sizes.
     *
     * @param file a file written by {@link #write}
     * @return the alignment
     * @throws ModelFormatException naming the file and the field or tensor at fault
     */
    public static VocabularyAlignment read(Path file) {
        try (SafetensorsCheckpoint st = SafetensorsCheckpoint.openFile(file)) {
            Map<String, String> meta = st.metadata();
            String format = meta.get("format");
            if (!FORMAT.equals(format)) {
                throw new ModelFormatException(file, "is not a vocabulary map: metadata format is " + format
                        + ", expected " + FORMAT);
            }
            if (!VERSION.equals(meta.get("format_version"))) {
                throw new ModelFormatException(file, "format_version " + meta.get("format_version")
                        + " is not supported (this version reads " + VERSION + ")");
            }
            VocabularyAlignment.Tokenizer base = tokenizer(file, meta, "base");
            VocabularyAlignment.Tokenizer value = tokenizer(file, meta, "value");
            VocabularyAlignment.Corpus corpus = new VocabularyAlignment.Corpus(field(file, meta, "corpus.sha256"),
                    number(file, meta, "corpus.texts"));
            int rows = base.vocabSize();
            int cols = value.vocabSize();
            PairCounts counts;
            try {
                counts = new PairCounts(rows, cols, ints(st, file, "counts.row_start"), ints(st, file,
                        "counts.columns"), ints(st, file, "counts.values"));
            } catch (InvalidInputException e) {
                throw new ModelFormatException(file, "tensors counts.*: " + e.getMessage(), e);
            }
            Map<Normalization, TokenMap> maps = new LinkedHashMap<>();
            for (String name : field(file, meta, "normalizations").split(",")) {
                Normalization n = normalization(file, "normalizations", name);
                String prefix = "map." + name + ".";
                float[] weights = floats(st, file, prefix + "weights");
                try {
                    maps.put(n, new TokenMap(rows, cols, ints(st, file, prefix + "row_start"),
                            ints(st, file, prefix + "columns"), weights));
                } catch (InvalidInputException e) {
                    throw new ModelFormatException(file, "tensors " + prefix + "*: " + e.getMessage(), e);
                }
            }
            Normalization selected = normalization(file, "selected", field(file, meta, "selected"));
            try {
                return new VocabularyAlignment(base, value, corpus, counts, maps, selected);
            } catch (InvalidInputException e) {
                throw new ModelFormatException(file, e.getMessage(), e);
            }
        }
    }

    private static void describe(Map<String, String> meta, String role, VocabularyAlignment.Tokenizer t) {
        meta.put(role + ".name", t.name());
        meta.put(role + ".sha256", t.sha256());
        meta.put(role + ".vocab_size", Integer.toString(t.vocabSize()));
        meta.put(role + ".marker", t.marker());
    }

    private static VocabularyAlignment.Tokenizer tokenizer(Path file, Map<String, String> meta, String role) {
        return new VocabularyAlignment.Tokenizer(field(file, meta, role + ".name"), field(file, meta, role + ".sha256"),
                number(file, meta, role + ".vocab_size"), field(file, meta, role + ".marker"));
    }

    private static String field(Path file, Map<String, String> meta, String key) {
        String v = meta.get(key);
        if (v == null) {
            throw new ModelFormatException(file, "metadata has no " + key);
        }
        return v;
    }

    private static int number(Path file, Map<String, String> meta, String key) {
        String v = field(file, meta, key);
        try {
            int n = Integer.parseInt(v);
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new ModelFormatException(file, "metadata " + key + " must be a non-negative integer, got " + v);
    }

    private static Normalization normalization(Path file, String key, String text) {
        try {
            return Normalization.parse(text);
        } catch (IvlException e) {
            throw new ModelFormatException(file, "metadata " + key + ": " + e.getMessage(), e);
        }
    }

    private static int[] ints(SafetensorsCheckpoint st, Path file, String name) {
        checkedInfo(st, file, name, "I32");
        long[] values = st.readLongs(name);
        int[] out = new int[values.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (int) values[i]; // I32 values: exact
        }
        return out;
    }

    private static float[] floats(SafetensorsCheckpoint st, Path file, String name) {
        checkedInfo(st, file, name, "F32");
        return st.readFloats(name);
    }

    private static void checkedInfo(SafetensorsCheckpoint st, Path file, String name, String dtype) {
        if (!st.contains(name)) {
            throw new ModelFormatException(file, "has no tensor " + name);
        }
        TensorInfo info = st.info(name);
        if (!info.dtype().equals(dtype) || info.shape().length != 1) {
            throw new ModelFormatException(file, "tensor " + name + " must be a 1-D " + dtype + " array, got "
                    + info.dtype() + " " + Arrays.toString(info.shape()));
        }
    }
}
