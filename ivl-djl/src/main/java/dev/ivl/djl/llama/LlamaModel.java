package dev.ivl.djl.llama;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.pytorch.jni.JniUtils;
import dev.ivl.core.InvalidInputException;
import dev.ivl.core.IllegalParameterException;
import dev.ivl.core.IvlException;
import dev.ivl.core.ModelFormatException;
import dev.ivl.core.generate.GenerationConfig;
import dev.ivl.core.model.BaseModel;
import dev.ivl.core.model.BatchStepping;
import dev.ivl.core.model.Scheme;
import dev.ivl.core.model.Session;
import dev.ivl.core.model.ValueModel;
import dev.ivl.djl.engine.EngineDetector;
import dev.ivl.djl.tokenizer.ChatTemplate;
import dev.ivl.djl.tokenizer.HfTokenizer;
import dev.ivl.djl.quant.Int8Matrix;
import dev.ivl.djl.weights.Float16OverflowException;
import dev.ivl.djl.weights.SafetensorsCheckpoint;
import dev.ivl.djl.weights.TensorInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import ai.djl.ndarray.NDScope;
import dev.ivl.djl.weights.SafetensorsWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.Optional;

/**
 * A LLaMA-architecture causal language model ({@code LlamaForCausalLM}: LLaMA 1–3, Llama 2, TinyLlama, CodeLlama)
 * loaded from a Hugging Face checkpoint folder and run on DJL's PyTorch engine. It can serve as a base model or as
 * a value model. Immutable and thread-safe; each {@link LlamaSession} holds one sequence's KV cache.
 *
 * <p>What the folder says besides the weights travels with the model: its {@code tokenizer.json}
 * ({@link #tokenizer()}, which generators and combiners use), its {@code generation_config.json}
 * ({@link #generationConfig()}), and for a value model trained by ivl its {@code ivl.json} ({@link #manifest()},
 * whose scheme decides how the model is plugged into a base). {@link #save} writes them all back.
 *
 * <pre>{@code
 * try (LlamaModel model = LlamaModel.load(Path.of("TinyLlama-1.1B"))) {
 *     try (LlamaSession s = model.newSession()) {
 *         float[] next = s.append(1, 15043, 29892);
 *     }
 * }
 * }</pre>
 */
public final class LlamaModel implements BaseModel, ValueModel, BatchStepping, AutoCloseable {
    /**
     * The file that marks a model folder still being written (by {@code ivl train}, which removes it just before
     * it moves the finished folder into place); {@link #load} refuses a folder that holds it.
     */
    public static final String INCOMPLETE_MARKER = ".ivl-incomplete";

    private final LlamaConfig config;
    private final LoadOptions options;
    private final NDManager manager;
    private final DataType dtype;
    private final DataType computeDtype;
    private final List<String> float32Weights;
    private final NDArray embedTokens;
    private final List<DecoderLayer> layers;
    private final RmsNorm norm;
    private final Matrix lmHead;
    private final RotaryEmbedding rope;
    private final int maxSequenceLength;
    private final String name;
    private final Path source;
    private final IvlManifest manifest;
    private final HfTokenizer tokenizer;
    private final GenerationDefaults generationDefaults;
    /** Whether a step reads so few weights that one intra-op thread runs it faster ({@link #SMALL_STEP_BYTES}). */
    private final boolean smallStep;
    /** Decode steps in Java, where they run faster than the engine's pass; null elsewhere. */
    private final HostStep hostStep;
    private int openSessions; // guarded by this
    private boolean closed; //   guarded by this

    private LlamaModel(Path source, Folder folder, LlamaConfig config, LoadOptions options, NDManager manager,
            DataType dtype, NDArray embedTokens, List<DecoderLayer> layers, RmsNorm norm, Matrix lmHead,
            List<String> float32Weights) {
        this.name = source.toString();
        this.source = source;
        this.manifest = folder.manifest();
        this.tokenizer = folder.tokenizer();
        this.generationDefaults = folder.generationDefaults();
        this.config = config;
        this.options = options;
        this.manager = manager;
        this.dtype = dtype;
        this.computeDtype = options.computeDtype(dtype);
        this.embedTokens = embedTokens;
        this.layers = List.copyOf(layers);
        this.norm = norm;
        this.lmHead = lmHead;
        this.float32Weights = List.copyOf(float32Weights);
        this.maxSequenceLength = contextLength(config, options);
        this.rope = new RotaryEmbedding(config, maxSequenceLength, manager, computeDtype);
        this.smallStep = !manager.getDevice().isGpu() && stepBytes(config, dtype) < SMALL_STEP_BYTES;
        this.hostStep = options.javaSteps() && hostStepWanted(manager.getDevice().isGpu(), computeDtype)
                ? HostStep.of(config, embedTokens, this.layers, norm, lmHead, halfProductsOnEngine(config, dtype))
                : null;
    }

    /**
     * Float16 weights per layer from which a Java step multiplies float16 weights with the engine's {@code linear}
     * instead of Java's products: the engine streams float16 faster than Java does on the project's 2 cores (52–55
     * against 42–45 GB/s), which outweighs its six calls per product once a layer holds about 64 MB. TinyLlama's
     * 94 MB per layer stepped 1.04–1.08× faster with the engine's products (one process, the two ways interleaved);
     * in {@code ivl bench}, cpu-base's 31 MB per layer decoded 1.1–1.2× faster with Java's, cpu-value's 15 MB
     * 1.2–1.5×.
     */
    static final long HALF_ON_ENGINE_BYTES_PER_LAYER = 64L << 20;

    /**
     * @return whether decode steps run in Java ({@link HostStep}): on the CPU with float32 activations. With float32
     *     and int8 weights Java's products stream them at least as fast as the engine's (TinyLlama's shape decoded
     *     1.30× faster in float32 and 1.38× in int8, cpu-base 1.34× and 1.89×, the facts study's toy models up to
     *     2.9×); with float16 weights the step saves the engine's ~40 calls per layer around the products either way
     *     (see {@link #halfProductsOnEngine})
     */
    static boolean hostStepWanted(boolean gpu, DataType computeDtype) {
        return !gpu && computeDtype == DataType.FLOAT32;
    }

    /**
     * @return whether a Java step multiplies this model's weights with the engine's {@code linear}: float16 weights
     *     from {@link #HALF_ON_ENGINE_BYTES_PER_LAYER} per layer
     */
    static boolean halfProductsOnEngine(LlamaConfig config, DataType dtype) {
        return dtype == DataType.FLOAT16
                && stepBytes(config, dtype) / config.numHiddenLayers() >= HALF_ON_ENGINE_BYTES_PER_LAYER;
    }

    /**
     * @param position the position of the first new token
     * @param tokens how many new tokens
     * @return whether they run in Java ({@link HostStep}): the model has such steps, they are at most
     *     {@link HostStep#MAX_ROWS} and their positions rotate by the static table
     */
    boolean stepsInJava(int position, int tokens) {
        return hostStep != null && tokens <= HostStep.MAX_ROWS && rope.staticUpTo(position + tokens);
    }

    /**
     * New tokens through Java, where {@link #stepsInJava} holds.
     *
     * @param threads the threads the products may use, the caller's among them
     * @param allRows every row's logits when true, the last row's only when false
     * @return the logits after each token, or after the last
     */
    float[][] hostStep(int[] tokens, int position, KvCache cache, int threads, boolean allRows) {
        if (!hostStep.callsEngine()) {
            return hostStep.run(tokens, position, cache, threads, allRows);
        }
        return withoutGrad(() -> hostStep.run(tokens, position, cache, threads, allRows));
    }

    /**
     * Weight bytes a step reads below which the CPU runs a pass on one intra-op thread: such a step costs its engine
     * ops, not its weights, and a second thread only adds its hand-overs (the facts study's L, 5.6 MB, and value
     * model decoded 1,427 tokens/s on one thread and 988 on two; a 44 MB model of the same family 228 on one and 309
     * on two).
     */
    static final long SMALL_STEP_BYTES = 16L << 20;

    /** @return the bytes of the projections and lm_head a step reads, in the weight dtype */
    private static long stepBytes(LlamaConfig c, DataType dtype) {
        long attention = (long) c.hiddenSize() * c.headDim() * (2L * c.numAttentionHeads() + 2L * c.numKeyValueHeads());
        long mlp = 3L * c.hiddenSize() * c.intermediateSize();
        long weights = c.numHiddenLayers() * (attention + mlp) + (long) c.vocabSize() * c.hiddenSize();
        return weights * (dtype == DataType.INT8 ? 1 : dtype.getNumOfBytes());
    }

    /**
     * Loads a checkpoint folder with the default options (CPU, float32).
     *
     * @param dir a folder with {@code config.json} and {@code model.safetensors} (or shards and their index)
     * @return the model, which the caller closes
     * @throws ModelFormatException if a file is missing or corrupt, a tensor disagrees with the config, or the folder
     *     holds {@link #INCOMPLETE_MARKER} (its writing did not complete)
     */
    public static LlamaModel load(Path dir) {
        return load(dir, LoadOptions.defaults());
    }

    /**
     * Loads a checkpoint folder.
     *
     * @param dir a folder with {@code config.json} and {@code model.safetensors} (or shards and their index)
     * @param options device, dtype and context
     * @return the model, which the caller closes
     * @throws ModelFormatException if a file is missing or corrupt, a tensor disagrees with the config, or the folder
     *     holds {@link #INCOMPLETE_MARKER} (its writing did not complete)
     * @throws dev.ivl.core.IvlException if the PyTorch native cannot be loaded
     */
    public static LlamaModel load(Path dir, LoadOptions options) {
        if (Files.exists(dir.resolve(INCOMPLETE_MARKER), LinkOption.NOFOLLOW_LINKS)) {
            throw new ModelFormatException(dir, "the write of this model did not complete (it holds "
                    + INCOMPLETE_MARKER + "); resume or rerun the training that writes it");
        }
        LlamaConfig config = LlamaConfig.load(dir);
        DataType dtype = options.weightDtype(config.torchDtype());
        DataType computeDtype = options.computeDtype(dtype);
        Folder folder = Folder.read(dir, config);
        EngineDetector.engine(); // a missing or mismatched native fails here, in one line
        NDManager manager;
        try {
            manager = NDManager.newBaseManager(options.djlDevice(), "PyTorch");
        } catch (RuntimeException e) {
            folder.close();
            throw e;
        }
        try (SafetensorsCheckpoint weights = SafetensorsCheckpoint.open(dir)) {
            Loader loader = new Loader(weights, manager, dtype);
            Loader vectors = loader.as(computeDtype); //                                       norm weights
            int hidden = config.hiddenSize();
            int heads = config.numAttentionHeads();
            int kv = config.numKeyValueHeads();
            int d = config.headDim();
            int ffn = config.intermediateSize();
            float eps = (float) config.rmsNormEps();
            RmsNorm.Constants norms = RmsNorm.Constants.of(manager, hidden, computeDtype);
            String embedName = "model.embed_tokens.weight";
            // int8 models look their embeddings up in float16
            NDArray embed = (dtype == DataType.INT8 ? loader.as(DataType.FLOAT16) : loader)
                    .load(embedName, config.vocabSize(), hidden);
            List<DecoderLayer> layers = new ArrayList<>();
            for (int i = 0; i < config.numHiddenLayers(); i++) {
                String p = "model.layers." + i + ".";
                Matrix qkv = loader.matrix(hidden, List.of(p + "self_attn.q_proj.weight",
                        p + "self_attn.k_proj.weight", p + "self_attn.v_proj.weight"), heads * d, kv * d, kv * d);
                Matrix o = loader.matrix(heads * d, List.of(p + "self_attn.o_proj.weight"), hidden);
                Matrix gateUp = loader.matrix(hidden, List.of(p + "mlp.gate_proj.weight", p + "mlp.up_proj.weight"),
                        ffn, ffn);
                Matrix down = loader.matrix(ffn, List.of(p + "mlp.down_proj.weight"), hidden);
                layers.add(new DecoderLayer(
                        new RmsNorm(vectors.load(p + "input_layernorm.weight", hidden), eps, norms),
                        new Attention(qkv, o, heads, kv, d),
                        new RmsNorm(vectors.load(p + "post_attention_layernorm.weight", hidden), eps, norms),
                        new Mlp(gateUp, down, ffn)));
            }
            RmsNorm norm = new RmsNorm(vectors.load("model.norm.weight", hidden), eps, norms);
            Matrix lmHead = !config.tieWordEmbeddings()
                    ? loader.matrix(hidden, List.of("lm_head.weight"), config.vocabSize())
                    : dtype == DataType.INT8 ? loader.matrix(hidden, List.of(embedName), config.vocabSize())
                    : new Matrix.Dense(embed);
            loader.checkAllUsed(dir, config);
            return new LlamaModel(dir, folder, config, options, manager, dtype, embed, layers, norm, lmHead,
                    loader.keptFloat32());
        } catch (RuntimeException e) {
            manager.close();
            folder.close();
            throw e;
        }
    }

    /** The files of a model folder besides config.json and the weights, each optional. */
    private record Folder(IvlManifest manifest, HfTokenizer tokenizer, GenerationDefaults generationDefaults) {
        static Folder read(Path dir, LlamaConfig config) {
            IvlManifest manifest = IvlManifest.read(dir).orElse(null);
            GenerationDefaults defaults = GenerationDefaults.load(dir).orElse(null);
            if (!Files.isRegularFile(dir.resolve(HfTokenizer.FILE_NAME))) {
                return new Folder(manifest, null, defaults);
            }
            HfTokenizer tokenizer = HfTokenizer.load(dir);
            try {
                tokenizer.checkCompatible(config.vocabSize());
            } catch (RuntimeException e) {
                tokenizer.close();
                throw e;
            }
            return new Folder(manifest, tokenizer, defaults);
        }

        void close() {
            if (tokenizer != null) {
                tokenizer.close();
            }
        }
    }

    /**
     * Loads tensors with their shapes checked against the config, remembering which it loaded, and which it kept in
     * float32 because float16 cannot hold their values.
     */
    private record Loader(SafetensorsCheckpoint weights, NDManager manager, DataType dtype, Set<String> used,
            List<String> keptFloat32) {
        Loader(SafetensorsCheckpoint weights, NDManager manager, DataType dtype) {
            this(weights, manager, dtype, new HashSet<>(), new ArrayList<>());
        }

        /** @return a loader of the same checkpoint into another dtype, sharing the record of what was loaded */
        Loader as(DataType other) {
            return new Loader(weights, manager, other, used, keptFloat32);
        }

        /**
         * Refuses a checkpoint with tensors the config does not use: a config that says fewer layers (or tied
         * embeddings) than the weights hold would otherwise run another model than the one saved, silently.
         * Rotary frequency buffers that old checkpoints hold are not weights and are ignored.
         */
        void checkAllUsed(Path dir, LlamaConfig config) {
            List<String> unused = weights.names().stream()
                    .filter(n -> !used.contains(n) && !n.endsWith("rotary_emb.inv_freq")).sorted().toList();
            if (!unused.isEmpty()) {
                throw new ModelFormatException(dir.resolve(LlamaConfig.FILE_NAME), "does not use the checkpoint's"
                        + " tensor " + unused.get(0) + (unused.size() > 1 ? " and " + (unused.size() - 1) + " more"
                        : "") + " (num_hidden_layers " + config.numHiddenLayers() + ", tie_word_embeddings "
                        + config.tieWordEmbeddings() + "): config.json and the weights describe different models");
            }
        }

        /** Marks a tensor used and checks its shape against the config's. */
        TensorInfo check(String name, long... expected) {
            used.add(name);
            TensorInfo info = weights.info(name);
            if (!Arrays.equals(info.shape(), expected)) {
                throw new ModelFormatException(info.file(), "tensor " + name + " has shape "
                        + Arrays.toString(info.shape()) + " but config.json implies " + Arrays.toString(expected));
            }
            return info;
        }

        NDArray load(String name, long... expected) {
            check(name, expected);
            try {
                return weights.load(name, manager, dtype);
            } catch (Float16OverflowException e) {
                // bfloat16 and float32 reach beyond float16's ±65504: such a tensor stays float32, never infinite
                keptFloat32.add(name);
                return weights.load(name, manager, DataType.FLOAT32);
            }
        }

        /**
         * A projection: the named tensors stacked along their rows (q, k, v; gate, up), as dense engine arrays, or
         * quantized per row when the loader's dtype is INT8.
         *
         * @param cols the tensors' common width (inputs)
         * @param names the tensors
         * @param rows each tensor's rows (outputs)
         */
        Matrix matrix(long cols, List<String> names, long... rows) {
            if (dtype != DataType.INT8) {
                NDArray[] parts = new NDArray[names.size()];
                for (int i = 0; i < parts.length; i++) {
                    parts[i] = load(names.get(i), rows[i], cols);
                }
                return new Matrix.Dense(parts.length == 1 ? parts[0] : fused(parts));
            }
            for (int i = 0; i < names.size(); i++) {
                check(names.get(i), rows[i], cols);
            }
            return new Matrix.Int8(Int8Matrix.load(weights, names));
        }

        /** Concatenates projection weights along the output axis (in float32 if a part is), freeing the parts. */
        NDArray fused(NDArray... parts) {
            boolean wide = Arrays.stream(parts).anyMatch(p -> p.getDataType() != dtype);
            NDList list = new NDList();
            for (NDArray part : parts) {
                list.add(wide ? part.toType(DataType.FLOAT32, false) : part);
            }
            NDArray fused = NDArrays.concat(list, 0);
            for (NDArray part : list) {
                part.close();
            }
            for (NDArray part : parts) {
                part.close();
            }
            return fused;
        }
    }

    private static int contextLength(LlamaConfig config, LoadOptions options) {
        if (options.maxSequenceLength() > 0) {
            return options.maxSequenceLength();
        }
        RopeScaling s = config.ropeScaling();
        if (s != null && s.type().equals("dynamic")) {
            return (int) Math.min(Integer.MAX_VALUE, (long) (config.maxPositionEmbeddings() * s.factor()));
        }
        return config.maxPositionEmbeddings();
    }

    /** @return the parsed {@code config.json} */
    public LlamaConfig config() {
        return config;
    }

    /** @return the folder the model was loaded from */
    public Path source() {
        return source;
    }

    /**
     * @return the folder's {@code tokenizer.json} (with its {@code tokenizer_config.json}), loaded with the model
     *     and closed with it; empty when the folder has none
     */
    @Override
    public Optional<HfTokenizer> tokenizer() {
        return Optional.ofNullable(tokenizer);
    }

    /** @return the folder's {@code ivl.json}: how the model was trained, if ivl trained it */
    public Optional<IvlManifest> manifest() {
        return Optional.ofNullable(manifest);
    }

    /**
     * @param fallbackName the built-in template ({@code llama2} or {@code zephyr}) for a recorded {@code own} when
     *     the tokenizer has none
     * @return the chat template {@code ivl.json} records the training data was rendered with: a built-in one by
     *     name, or for {@code own} the folder tokenizer's; empty when nothing usable is recorded
     */
    public Optional<ChatTemplate> recordedChatTemplate(String fallbackName) {
        String recorded = manifest == null ? null : manifest.template();
        if ("llama2".equals(recorded) || "zephyr".equals(recorded)) {
            return Optional.of(ChatTemplate.named(recorded));
        }
        if ("own".equals(recorded) && tokenizer != null) {
            return Optional.of(ChatTemplate.forTokenizer(tokenizer, fallbackName));
        }
        return Optional.empty();
    }

    /** @return the scheme {@code ivl.json} records; {@link Scheme#RESIDUAL} for a folder without one */
    @Override
    public Scheme scheme() {
        return manifest == null ? Scheme.RESIDUAL : manifest.scheme();
    }

    /**
     * How the model's authors want it decoded, as Hugging Face reads a folder: the sampling settings of
     * {@code generation_config.json} (greedy unless it sets {@code do_sample}), and its end-of-sequence ids, else
     * those of {@code config.json}; without the file, greedy. Change what a request needs with
     * {@link GenerationConfig#toBuilder()}.
     *
     * @return the configuration
     */
    public GenerationConfig generationConfig() {
        GenerationConfig.Builder b = GenerationConfig.builder();
        if (generationDefaults != null) {
            generationDefaults.applyTo(b);
        }
        if (generationDefaults == null || generationDefaults.eosTokenIds().isEmpty()) {
            config.eosTokenIds().forEach(b::stopTokenIds);
        }
        return b.build();
    }

    /** @return the options the model was loaded with */
    public LoadOptions options() {
        return options;
    }

    /** @return the device the weights live on */
    public Device device() {
        return manager.getDevice();
    }

    /** @return the dtype of the weight matrices (embeddings, projections, lm_head) */
    public DataType dtype() {
        return dtype;
    }

    /**
     * @return the checkpoint's tensors that hold values beyond float16's range (±65504) and so stay float32 in a
     *     float16 model instead of becoming infinite; empty for a float32 model and for most checkpoints
     */
    public List<String> float32Weights() {
        return float32Weights;
    }

    /**
     * @return the dtype of activations, norms, the KV cache and the logits: float32 on the CPU (whatever the
     *     weights'), the weights' on a GPU
     */
    public DataType computeDtype() {
        return computeDtype;
    }

    @Override
    public int vocabSize() {
        return config.vocabSize();
    }

    /** @return the context: {@code max_position_embeddings} (× factor for dynamic rope), or the configured one */
    @Override
    public int maxSequenceLength() {
        return maxSequenceLength;
    }

    /**
     * @return a new sequence with an empty cache, which the caller closes (before the model)
     * @throws IvlException if the model is closed
     */
    @Override
    public LlamaSession newSession() {
        synchronized (this) {
            requireOpen();
            openSessions++;
        }
        try {
            return new LlamaSession(this);
        } catch (RuntimeException e) {
            sessionClosed();
            throw e;
        }
    }

    synchronized void sessionClosed() {
        openSessions--;
    }

    private synchronized void requireOpen() {
        if (closed) {
            throw new IvlException("model " + name + " is closed");
        }
    }

    /**
     * The full-sequence logits of {@code ids} fed from position 0, every position included: the reference output
     * that conformance checks compare with.
     *
     * @param ids token ids
     * @return logits {@code [ids.length][vocabSize]}
     */
    public float[][] logits(int... ids) {
        try (LlamaSession session = newSession()) {
            return session.appendAll(ids);
        }
    }

    NDManager manager() {
        return manager;
    }

    /**
     * A leak check for long runs: the engine arrays the model's own manager holds. It holds the weights and
     * constants from the load on, and the first prompt adds its rotary tables. Sessions free their caches when they
     * close, and steps free their temporaries, so after a warm-up the count stays put.
     *
     * @return the number of arrays the model's manager holds
     */
    public int liveArrays() {
        return manager.getManagedArrays().size();
    }

    KvCache newCache(NDManager sessionManager) {
        return new KvCache(config, maxSequenceLength, sessionManager, computeDtype);
    }

    /**
     * Runs one chunk through the model (HF {@code LlamaForCausalLM.forward}).
     *
     * @param ids the chunk's token ids, int64 {@code [T]}, on the model's device
     * @param position the position of the first token
     * @param cache the sequence's KV cache, with room for {@code position + T}
     * @param allRows logits for every row when true, for the last row only when false
     * @return logits {@code [T or 1, vocabSize]} in the compute dtype
     */
    NDArray forward(NDArray ids, int position, KvCache cache, boolean allRows) {
        return forward(ids, position, cache, allRows, null);
    }

    /** As {@link #forward(NDArray, int, KvCache, boolean)}, with a cascade input added to the embeddings. */
    NDArray forward(NDArray ids, int position, KvCache cache, boolean allRows, CascadeInput cascade) {
        return inference((int) ids.getShape().get(0), () -> layers(ids, position, cache, allRows, cascade));
    }

    /**
     * Runs an inference pass of {@code rows} rows: without autograd, whatever the thread (PyTorch's grad mode is per
     * thread); as a {@link KernelPass} where Java's products are faster (int8 weights; 2 to 128 float32 or float16
     * rows on the CPU); and for a model whose step reads under {@link #SMALL_STEP_BYTES} of weights, on one intra-op thread.
     */
    private NDArray inference(int rows, java.util.function.Supplier<NDArray> pass) {
        return withoutGrad(() -> {
            if (KernelPass.wanted(rows, dtype, manager.getDevice().isGpu())) {
                return KernelPass.run(pass);
            }
            return smallStep ? KernelPass.engineAlone(pass) : pass.get();
        });
    }

    /** Runs {@code work} with the engine's autograd off on this thread (PyTorch's grad mode is per thread). */
    private static <T> T withoutGrad(java.util.function.Supplier<T> work) {
        boolean gradMode = JniUtils.isGradMode();
        if (gradMode) {
            JniUtils.setGradMode(false);
        }
        try {
            return work.get();
        } finally {
            if (gradMode) {
                JniUtils.setGradMode(true);
            }
        }
    }

    private NDArray layers(NDArray ids, int position, KvCache cache, boolean allRows, CascadeInput cascade) {
        int t = (int) ids.getShape().get(0);
        NDArray h = inputs(ids, cascade);
        NDArray mask = t == 1 ? null : causalMask(ids.getManager(), position, t); // embed_tokens(input_ids)
        RotaryEmbedding.Rotation rotation = rope.rotation(position, t); // the chunk's positions, for every layer
        for (int i = 0; i < layers.size(); i++) {
            h = layers.get(i).forward(h, position, cache, i, rotation, mask);
        }
        if (!allRows && t > 1) {
            h = h.get(new NDIndex().addSliceDim(t - 1, t)); // only the last position's logits are needed
        }
        return lmHead.times(norm.forward(h), null); //         lm_head(norm(hidden_states))
    }

    /**
     * One decode step for several sequences at once: {@code tokens[i]} is appended to {@code sessions.get(i)} in one
     * forward pass of B rows, so that every weight is read once for all of them; each sequence attends over its own
     * cache at its own position. The logits are those each session's {@link LlamaSession#append} would give, up to
     * the summation order of a B-row product. Beyond a dynamic RoPE scaling's original context (whose rotation
     * depends on each sequence's length) the sessions step one by one.
     *
     * @param sessions distinct open sessions of this model
     * @param tokens one token for each
     * @return the logits after each session's token, {@code [B][vocabSize]}
     * @throws InvalidInputException if the lists disagree, a session is another model's or given twice, a token is
     *     outside the vocabulary or a session's context is full
     */
    @Override
    public float[][] appendEach(List<? extends Session> sessions, int[] tokens) {
        requireOpen();
        int b = sessions.size();
        if (b == 0 || b != tokens.length) {
            throw new InvalidInputException("appendEach needs one token per session, got " + b + " session(s) and "
                    + tokens.length + " token(s)");
        }
        Set<LlamaSession> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        int[] positions = new int[b];
        KvCache[] caches = new KvCache[b];
        int end = 0;
        List<LlamaSession> own = new ArrayList<>(b);
        for (int i = 0; i < b; i++) {
            LlamaSession s = sessions.get(i) instanceof LlamaSession l && l.model() == this ? l : null;
            if (s == null || !seen.add(s)) {
                throw new InvalidInputException("session " + i + " is " + (s == null ? "another model's"
                        : "given twice") + ": appendEach steps distinct sessions of one model");
            }
            own.add(s);
            s.checkAppend(tokens[i]);
            positions[i] = s.position();
            caches[i] = s.cache();
            end = Math.max(end, positions[i] + 1);
        }
        if (b == 1 || !rope.staticUpTo(end)) {
            return BatchStepping.oneByOne(own, tokens);
        }
        try (NDScope scope = new NDScope()) {
            long[] ids = new long[b];
            long[] at = new long[b];
            for (int i = 0; i < b; i++) {
                caches[i].reserve(positions[i] + 1, positions[i]);
                ids[i] = tokens[i];
                at[i] = positions[i];
            }
            NDArray idArray = manager.create(ids, new Shape(b));
            NDArray atArray = manager.create(at, new Shape(b));
            int last = end - 1;
            float[][] rows = hostRows(inference(b, () -> each(idArray, atArray, last, positions, caches)));
            own.forEach(LlamaSession::advance);
            return rows;
        }
    }

    /** @return the rows of {@code [rows, vocabSize]} logits as float32 host arrays */
    float[][] hostRows(NDArray logits) {
        int vocab = config.vocabSize();
        float[] flat = logits.toType(DataType.FLOAT32, false).toFloatArray();
        float[][] rows = new float[flat.length / vocab][];
        for (int r = 0; r < rows.length; r++) {
            rows[r] = Arrays.copyOfRange(flat, r * vocab, (r + 1) * vocab);
        }
        return rows;
    }

    /** The layers over one new token of each sequence: {@code [B, vocabSize]} logits. */
    private NDArray each(NDArray ids, NDArray at, int maxPosition, int[] positions, KvCache[] caches) {
        NDArray h = inputs(ids, null); //                                            embed_tokens(input_ids)
        RotaryEmbedding.Rotation rotation = rope.rotationAt(at, maxPosition); // each row's own position
        for (int i = 0; i < layers.size(); i++) {
            h = layers.get(i).forwardEach(h, positions, caches, i, rotation);
        }
        return lmHead.times(norm.forward(h), null); //                               lm_head(norm(hidden_states))
    }

    /**
     * Logits at selected rows of a packed training row: several samples concatenated, each with its own positions
     * and attending only to itself. No cache; differentiable when the weights require gradients.
     *
     * @param ids int64 token ids {@code [T]}
     * @param positions int64 position of each token within its sample {@code [T]}
     * @param maxPosition the largest position
     * @param mask {@code [T, T]}: 0 where row i may attend to row j (same sample, j ≤ i), −∞ elsewhere
     * @param rows int64 indices of the rows whose logits are wanted {@code [R]}
     * @return logits {@code [R, vocabSize]}
     */
    public NDArray forwardPacked(NDArray ids, NDArray positions, int maxPosition, NDArray mask, NDArray rows) {
        return forwardPacked(ids, positions, maxPosition, mask, rows, null);
    }

    /**
     * As {@link #forwardPacked(NDArray, NDArray, int, NDArray, NDArray)}, with the cascade scheme's input: the
     * first layer sees {@code p_base·W_e (+ embed(x))}.
     *
     * @param cascade the base's next-token probabilities at every row, or null for the plain model
     */
    public NDArray forwardPacked(NDArray ids, NDArray positions, int maxPosition, NDArray mask, NDArray rows,
            CascadeInput cascade) {
        requireOpen();
        if (maxPosition >= maxSequenceLength) {
            throw new InvalidInputException("position " + maxPosition + " is beyond the model's context of "
                    + maxSequenceLength);
        }
        NDArray h = inputs(ids, cascade);
        RotaryEmbedding.Rotation rotation = rope.rotationAt(positions, maxPosition);
        for (DecoderLayer layer : layers) {
            h = layer.forwardPacked(h, rotation, mask);
        }
        return lmHead.times(norm.forward(h.get(rows)), null); // RMSNorm is per row: pick the rows first
    }

    /** The first layer's input: {@code embed_tokens(ids)}, plus {@code p·W_e} under the cascade scheme. */
    private NDArray inputs(NDArray ids, CascadeInput cascade) {
        NDArray text = cascade != null && !cascade.withText()
                ? null
                : ids.getNDArrayInternal().embedding(ids, embedTokens, SparseFormat.DENSE).singletonOrThrow()
                        .toType(computeDtype, false);
        if (cascade == null) {
            return text;
        }
        NDArray soft = cascade.probabilities().toType(embedTokens.getDataType(), false).matMul(embedTokens) // p·W_e
                .toType(computeDtype, false);
        return text == null ? soft : text.add(soft);
    }

    /**
     * The weights, by name, each array once (a tied lm_head is the embedding). Fused projections are named
     * {@code ….self_attn.qkv_proj.weight} (q, k, v rows stacked) and {@code ….mlp.gate_up_proj.weight}. For training:
     * a trainer may mark them as requiring gradients and update them in place.
     *
     * @return the parameters in a fixed order
     * @throws UnsupportedOperationException for an int8 model, whose matrices live outside the engine
     */
    public Map<String, NDArray> parameters() {
        requireOpen();
        if (dtype == DataType.INT8) {
            throw new UnsupportedOperationException(source + " is loaded with int8 weights, which cannot be trained"
                    + " or saved: load it as float32 or float16 for that");
        }
        Map<String, NDArray> params = new LinkedHashMap<>();
        params.put("model.embed_tokens.weight", embedTokens);
        for (int i = 0; i < layers.size(); i++) {
            String p = "model.layers." + i + ".";
            DecoderLayer layer = layers.get(i);
            params.put(p + "input_layernorm.weight", layer.inputNorm().weight());
            params.put(p + "self_attn.qkv_proj.weight", dense(layer.attention().qkv()));
            params.put(p + "self_attn.o_proj.weight", dense(layer.attention().out()));
            params.put(p + "post_attention_layernorm.weight", layer.postAttentionNorm().weight());
            params.put(p + "mlp.gate_up_proj.weight", dense(layer.mlp().gateUp()));
            params.put(p + "mlp.down_proj.weight", dense(layer.mlp().down()));
        }
        params.put("model.norm.weight", norm.weight());
        if (!config.tieWordEmbeddings()) {
            params.put("lm_head.weight", dense(lmHead));
        }
        return params;
    }

    private static NDArray dense(Matrix m) {
        return ((Matrix.Dense) m).weight();
    }

    /**
     * Writes the model as a standard Hugging Face {@code LlamaForCausalLM} folder: {@code config.json} and
     * {@code model.safetensors} with the checkpoint's own tensor names (fused projections split back), loadable by
     * transformers and by {@link #load}; with the files that travel with the model copied from its folder: the
     * tokenizer's, {@code generation_config.json} and {@code ivl.json} (a re-saved cascade value model stays one).
     *
     * @param dir the folder, created if needed
     * @param storage FLOAT32 or FLOAT16
     */
    public void save(Path dir, DataType storage) {
        if (storage != DataType.FLOAT32 && storage != DataType.FLOAT16) {
            throw new IllegalParameterException("storage", storage, "must be float32 or float16");
        }
        LlamaConfig c = config;
        LlamaConfig saved = c.withTorchDtype(storage == DataType.FLOAT16 ? "float16" : "float32");
        int d = c.headDim();
        long q = (long) c.numAttentionHeads() * d;
        long kv = (long) c.numKeyValueHeads() * d;
        long ffn = c.intermediateSize();
        try (NDScope scope = new NDScope()) {
            SafetensorsWriter writer = new SafetensorsWriter();
            for (Map.Entry<String, NDArray> e : parameters().entrySet()) {
                String name = e.getKey();
                NDArray w = e.getValue();
                if (name.endsWith("qkv_proj.weight")) {
                    String p = name.substring(0, name.length() - "qkv_proj.weight".length());
                    writer.add(p + "q_proj.weight", rows(w, 0, q, storage));
                    writer.add(p + "k_proj.weight", rows(w, q, q + kv, storage));
                    writer.add(p + "v_proj.weight", rows(w, q + kv, q + 2 * kv, storage));
                } else if (name.endsWith("gate_up_proj.weight")) {
                    String p = name.substring(0, name.length() - "gate_up_proj.weight".length());
                    writer.add(p + "gate_proj.weight", rows(w, 0, ffn, storage));
                    writer.add(p + "up_proj.weight", rows(w, ffn, 2 * ffn, storage));
                } else {
                    writer.add(name, w.toType(storage, false).stopGradient());
                }
            }
            writer.putMetadata("format", "pt");
            writer.write(dir.resolve(SafetensorsCheckpoint.SINGLE_FILE));
        }
        Path configFile = dir.resolve(LlamaConfig.FILE_NAME);
        try {
            Files.writeString(configFile, saved.toJson());
        } catch (IOException e) {
            throw new IvlException("cannot write " + configFile + ": " + e.getMessage(), e);
        }
        copyCompanionFiles(dir);
    }

    /**
     * The files of a model folder that describe the model but are not weights or config.json: the tokenizer's,
     * generation_config.json and ivl.json. They travel with the model ({@link #save} copies them).
     */
    public static final List<String> COMPANION_FILES = List.of(HfTokenizer.FILE_NAME, "tokenizer_config.json",
            "special_tokens_map.json", "tokenizer.model", GenerationDefaults.FILE_NAME, IvlManifest.FILE_NAME);

    private void copyCompanionFiles(Path dir) {
        for (String name : COMPANION_FILES) {
            Path from = source.resolve(name);
            Path to = dir.resolve(name);
            try {
                if (Files.isRegularFile(from) && !(Files.exists(to) && Files.isSameFile(from, to))) {
                    Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING);
                }
            } catch (IOException e) {
                throw new IvlException("cannot copy " + from + " to " + dir + ": " + e.getMessage(), e);
            }
        }
    }

    private static NDArray rows(NDArray w, long from, long to, DataType storage) {
        return w.get(new NDIndex().addSliceDim(from, to)).toType(storage, false).stopGradient();
    }

    /** 0 where query {@code position + i} may see key {@code j} (j ≤ position + i), −∞ elsewhere. */
    private NDArray causalMask(NDManager scratch, int position, int t) {
        int length = position + t;
        float[] mask = new float[t * length];
        for (int i = 0; i < t; i++) {
            Arrays.fill(mask, i * length + position + i + 1, (i + 1) * length, Float.NEGATIVE_INFINITY);
        }
        return scratch.create(mask, new Shape(t, length)).toType(computeDtype, false);
    }

    /**
     * Frees the weights and the tokenizer. Closing again does nothing.
     *
     * @throws IvlException if sessions of this model are still open: close them first
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            if (openSessions > 0) {
                throw new IvlException("model " + name + " still has " + openSessions
                        + " open session(s): close them before the model");
            }
            closed = true;
        }
        rope.close();
        manager.close();
        if (tokenizer != null) {
            tokenizer.close();
        }
    }
}
