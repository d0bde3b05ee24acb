package dev.ivl.djl.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.ivl.djl.internal.Json;
import dev.ivl.core.IllegalParameterException;
import dev.ivl.core.ModelFormatException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A set of named tensors in safetensors files: one {@code model.safetensors}, or shards listed by
 * {@code model.safetensors.index.json} (the Hugging Face layout). Opening validates every header completely (types,
 * shapes, byte ranges, overlaps, shard references); tensors are then read one at a time with positional reads, in
 * chunks of at most {@value TensorLoader#CHUNK_BYTES} bytes, so loading a model needs little memory beyond the
 * loaded arrays. Files larger than 2 GiB are supported.
 *
 * <p>Every format problem is a {@link ModelFormatException} naming the file and the tensor or field. Instances are
 * safe to share between threads; loads are serialised. Close the checkpoint to release its files.
 */
public final class SafetensorsCheckpoint implements AutoCloseable {
    /** The file name of a single-file checkpoint. */
    public static final String SINGLE_FILE = "model.safetensors";
    /** The file name of a sharded checkpoint's index. */
    public static final String INDEX_FILE = "model.safetensors.index.json";

    private final Path source;
    private final List<SafetensorsFile> files;
    private final Map<String, TensorInfo> tensors;
    private final Map<Path, SafetensorsFile> fileByPath;
    private final Map<String, String> metadata;
    private final TensorLoader loader = new TensorLoader();
    private boolean closed;

    private SafetensorsCheckpoint(Path source, List<SafetensorsFile> files, Map<String, TensorInfo> tensors) {
        this.source = source;
        this.files = List.copyOf(files);
        this.tensors = Collections.unmodifiableMap(tensors);
        Map<Path, SafetensorsFile> byPath = new LinkedHashMap<>();
        Map<String, String> merged = new LinkedHashMap<>();
        for (SafetensorsFile f : files) {
            byPath.put(f.file(), f);
            f.metadata().forEach(merged::putIfAbsent);
        }
        this.fileByPath = byPath;
        this.metadata = Collections.unmodifiableMap(merged);
    }

    /**
     * Opens the checkpoint in a model folder: {@code model.safetensors} if present, else the shards listed in
     * {@code model.safetensors.index.json}'s {@code weight_map}, each shard opened once.
     *
     * @param modelDir the model folder
     * @return the open checkpoint
     * @throws ModelFormatException if the folder has neither file, or a file, the index or a shard is invalid, or
     *     the index maps a tensor to a missing shard or to a shard without that tensor
     */
    public static SafetensorsCheckpoint open(Path modelDir) {
        if (!Files.isDirectory(modelDir)) {
            throw new ModelFormatException(modelDir, "not a model folder (no such directory)");
        }
        Path single = modelDir.resolve(SINGLE_FILE);
        if (Files.exists(single)) {
            return openFile(single);
        }
        Path index = modelDir.resolve(INDEX_FILE);
        if (Files.exists(index)) {
            return openIndex(index);
        }
        throw new ModelFormatException(modelDir, "no " + SINGLE_FILE + " or " + INDEX_FILE + " in the folder");
    }

    /**
     * Opens a single {@code .safetensors} file.
     *
     * @param file the file
     * @return the open checkpoint
     * @throws ModelFormatException if the file is missing or invalid
     */
    public static SafetensorsCheckpoint openFile(Path file) {
        SafetensorsFile f = SafetensorsFile.open(file);
        return new SafetensorsCheckpoint(file, List.of(f), new TreeMap<>(f.tensors()));
    }

    /** @return the names of all tensors, sorted */
    public Set<String> names() {
        return tensors.keySet();
    }

    /**
     * @param name a tensor name
     * @return whether the checkpoint has that tensor
     */
    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    /**
     * @param name a tensor name
     * @return where the tensor is stored, its type and shape
     * @throws ModelFormatException naming the file (or index) and the tensor if there is no such tensor
     */
    public TensorInfo info(String name) {
        TensorInfo info = tensors.get(name);
        if (info == null) {
            throw new ModelFormatException(source, "no tensor '" + name + "'");
        }
        return info;
    }

    /**
     * The {@code __metadata__} string entries of the file header; for a sharded checkpoint, those of all shards
     * (the first shard in index order wins when two disagree).
     *
     * @return the metadata, possibly empty
     */
    public Map<String, String> metadata() {
        return metadata;
    }

    /**
     * Loads a tensor into {@code manager} as {@code target}, converting F32, F16 and BF16 in Java as needed (F16 and
     * BF16 to FLOAT32 exactly; to FLOAT16 rounding to nearest even). The returned array owns its memory: it never
     * aliases the file or a Java buffer, and the caller may modify it.
     *
     * @param name the tensor
     * @param manager the manager that will own the array
     * @param target {@link DataType#FLOAT32} or {@link DataType#FLOAT16}
     * @return the array, with the tensor's shape
     * @throws ModelFormatException if there is no such tensor, its dtype is not F32, F16 or BF16, or it cannot be
     *     read
     * @throws IllegalParameterException if {@code target} is another type
     * @throws Float16OverflowException if {@code target} is FLOAT16 and the tensor holds a finite value beyond its
     *     range (an F32 or BF16 tensor), which would become infinite
     */
    public NDArray load(String name, NDManager manager, DataType target) {
        if (target != DataType.FLOAT32 && target != DataType.FLOAT16) {
            throw new IllegalParameterException("target", target, "must be FLOAT32 or FLOAT16");
        }
        TensorInfo info = info(name);
        synchronized (this) {
            return loader.load(fileOf(info), info, manager, target);
        }
    }

    /**
     * Reads an F32, F16 or BF16 tensor into a Java array, in row-major order (no engine involved).
     *
     * @param name the tensor
     * @return its values as floats (exact for every stored type)
     * @throws ModelFormatException if there is no such tensor, it is not F32, F16 or BF16, has more elements than
     *     an array holds, or cannot be read
     */
    public float[] readFloats(String name) {
        TensorInfo info = info(name);
        synchronized (this) {
            return loader.readFloats(fileOf(info), info);
        }
    }

    /**
     * Reads an I64 or I32 tensor (e.g. token ids) into a Java array, in row-major order.
     *
     * @param name the tensor
     * @return its values
     * @throws ModelFormatException if there is no such tensor, it is not I64 or I32, has more elements than an
     *     array holds, or cannot be read
     */
    public long[] readLongs(String name) {
        TensorInfo info = info(name);
        synchronized (this) {
            return loader.readLongs(fileOf(info), info);
        }
    }

    /** Closes the files and drops the staging buffers. Loading afterwards throws IllegalStateException. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            files.forEach(SafetensorsFile::close);
            loader.release();
        }
    }

    private SafetensorsFile fileOf(TensorInfo info) {
        if (closed) {
            throw new IllegalStateException("checkpoint " + source + " is closed");
        }
        return fileByPath.get(info.file());
    }

    private static SafetensorsCheckpoint openIndex(Path index) {
        Map<String, String> weightMap = readWeightMap(index);
        Path dir = index.toAbsolutePath().normalize().getParent();
        Map<String, SafetensorsFile> shards = new LinkedHashMap<>();
        try {
            Map<String, TensorInfo> tensors = new TreeMap<>();
            for (Map.Entry<String, String> e : weightMap.entrySet()) {
                String tensor = e.getKey();
                String shardName = e.getValue();
                SafetensorsFile shard = shards.get(shardName);
                if (shard == null) {
                    Path shardPath = index.resolveSibling(shardName);
                    if (!shardPath.toAbsolutePath().normalize().getParent().equals(dir)) {
                        throw new ModelFormatException(index, "weight_map maps tensor '" + tensor + "' to '"
                                + shardName + "', which is not a file name in the model folder");
                    }
                    if (!Files.isRegularFile(shardPath)) {
                        throw new ModelFormatException(index, "weight_map maps tensor '" + tensor + "' to shard '"
                                + shardName + "', which does not exist");
                    }
                    shard = SafetensorsFile.open(shardPath);
                    shards.put(shardName, shard);
                }
                TensorInfo info = shard.tensors().get(tensor);
                if (info == null) {
                    throw new ModelFormatException(index, "weight_map maps tensor '" + tensor + "' to shard '"
                            + shardName + "', which has no such tensor");
                }
                tensors.put(tensor, info);
            }
            return new SafetensorsCheckpoint(index, new ArrayList<>(shards.values()), tensors);
        } catch (RuntimeException e) {
            shards.values().forEach(SafetensorsFile::close);
            throw e;
        }
    }

    /** @return the index's weight_map: tensor name → shard file name, in file order */
    private static Map<String, String> readWeightMap(Path index) {
        JsonElement root = Json.parse(index, "the index", new StringReader(Json.readFile(index)));
        if (!root.isJsonObject()) {
            throw new ModelFormatException(index, "not a JSON object");
        }
        JsonElement map = root.getAsJsonObject().get("weight_map");
        if (map == null || !map.isJsonObject()) {
            throw new ModelFormatException(index, "missing or non-object weight_map");
        }
        JsonObject object = map.getAsJsonObject();
        if (object.size() == 0) {
            throw new ModelFormatException(index, "weight_map is empty");
        }
        Map<String, String> weightMap = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> e : object.entrySet()) {
            JsonElement shard = e.getValue();
            if (!(shard.isJsonPrimitive() && shard.getAsJsonPrimitive().isString())) {
                throw new ModelFormatException(index, "weight_map entry for tensor '" + e.getKey()
                        + "' is not a file name: " + shard);
            }
            weightMap.put(e.getKey(), shard.getAsString());
        }
        return weightMap;
    }
}
