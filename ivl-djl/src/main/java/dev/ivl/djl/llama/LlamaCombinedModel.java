package dev.ivl.djl.llama;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import dev.ivl.core.InvalidInputException;
import dev.ivl.core.IllegalParameterException;
import dev.ivl.core.combine.Combination;
import dev.ivl.core.combine.CombinedModel;
import dev.ivl.core.internal.ConcurrentSteps;
import dev.ivl.core.combine.LogitsCombiner;
import dev.ivl.core.combine.ProxyTuningCombiner;
import dev.ivl.core.combine.ResidualCombiner;
import dev.ivl.core.combine.Stepping;
import dev.ivl.core.model.BatchStepping;
import dev.ivl.core.model.LanguageModel;
import dev.ivl.core.model.Session;
import dev.ivl.core.text.TextTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link CombinedModel} of {@link LlamaModel}s run where the models are: each step's logits are combined on the
 * models' device and one row leaves it (measured faster than copying every model's row out and adding on the
 * host), and under {@link Stepping#CONCURRENT} the models step on threads of their own that share the row blocks of
 * their products ({@link WorkShare}), so a model that finishes first lends its core to the others. Sequential logits
 * are exactly those of the {@link CombinedModel} it is made from (the same float32 operations in the same order);
 * concurrent ones agree to float32 rounding, as a product cut into row blocks may be summed in another order.
 *
 * <p>Thread budget: {@link Stepping#SEQUENTIAL} runs each model with the engine's intra-op threads
 * ({@code -Dai.djl.pytorch.num_threads}); {@link Stepping#CONCURRENT} runs one thread per model plus helpers up to
 * {@link #threads()} (default: the available processors), each with one intra-op thread.
 *
 * <p>On a GPU, concurrent stepping runs one host thread per model and no helpers: the threads overlap their kernel
 * launches (the host side of a step), while the kernels themselves queue on the engine's one default CUDA stream.
 * On the CPU, an append of several tokens (a prompt) steps the models one after the other even under
 * {@link Stepping#CONCURRENT}: each then gets every thread and Java's products (cpu-base + cpu-value, 32 tokens on
 * 2 cores: float32 84 ms against 142 with the models on threads of their own, float16 76 against 166, int8 60
 * against 73). {@link #preferredStepping} says
 * which stepping suits given models.
 */
public final class LlamaCombinedModel implements LanguageModel, BatchStepping, Combination {
    private final CombinedModel combined;
    private final List<LlamaModel> parts;
    private final int threads;

    private LlamaCombinedModel(CombinedModel combined, List<LlamaModel> parts, int threads) {
        this.combined = combined;
        this.parts = parts;
        this.threads = threads;
    }

    /**
     * @param combined a combination of LLaMA models
     * @return why it cannot be run on the device, or null when it can
     */
    public static String unsupportedReason(CombinedModel combined) {
        LogitsCombiner c = combined.combiner();
        if (!(c instanceof ResidualCombiner) && !(c instanceof ProxyTuningCombiner)) {
            return "its combiner " + c.getClass().getSimpleName() + " is not residual or proxy tuning";
        }
        Device device = null;
        for (LanguageModel part : combined.parts()) {
            if (!(part instanceof LlamaModel llama)) {
                return "a part (" + part.getClass().getSimpleName() + ") is not a LlamaModel";
            }
            if (llama.vocabSize() != combined.vocabSize()) {
                return "the vocabularies differ (" + llama.vocabSize() + " and " + combined.vocabSize() + ")";
            }
            if (device != null && !device.equals(llama.device())) {
                return "the models are on different devices (" + device + " and " + llama.device() + ")";
            }
            device = llama.device();
        }
        return null;
    }

    /**
     * @param combined a combination of {@link LlamaModel}s on one device with one vocabulary, by a
     *     {@link ResidualCombiner} or {@link ProxyTuningCombiner}; its stepping is kept
     * @return the same combination, run on the device
     * @throws InvalidInputException if {@link #unsupportedReason} gives a reason
     */
    public static LlamaCombinedModel of(CombinedModel combined) {
        String reason = unsupportedReason(combined);
        if (reason != null) {
            throw new InvalidInputException("cannot combine on the device: " + reason);
        }
        List<LlamaModel> parts = combined.parts().stream().map(LlamaModel.class::cast).toList();
        return new LlamaCombinedModel(combined, parts, Runtime.getRuntime().availableProcessors());
    }

    /**
     * @param value the threads a {@link Stepping#CONCURRENT} step may use in all; ≥ 1. Below the number of models,
     *     the models still step on threads of their own but do not share blocks.
     * @return the same combination with that budget
     */
    public LlamaCombinedModel withThreads(int value) {
        if (value < 1) {
            throw new IllegalParameterException("threads", value, "must be >= 1");
        }
        return new LlamaCombinedModel(combined, parts, value);
    }

    /**
     * The stepping measured faster for these models: {@link Stepping#CONCURRENT} on a GPU, where a model's thread
     * mostly issues work; {@link Stepping#SEQUENTIAL} on the CPU. There a decode step is bound by the memory its
     * weights stream through (most models step in Java, with no engine call to hide), and a step on its own gets
     * every thread: on 2 cores the cpu-base + cpu-value pair stepped concurrently in 1.04 × the sequential time in
     * float32, 1.14 × in float16 and 1.30 × in int8; at the 7B + 1.1B shape in float16 the two measured equal.
     *
     * @param models the models of a combination
     * @return the stepping to use when the user asks for none
     */
    public static Stepping preferredStepping(List<LlamaModel> models) {
        return models.stream().anyMatch(m -> m.device().isGpu()) ? Stepping.CONCURRENT : Stepping.SEQUENTIAL;
    }

    /**
     * @param value how the models' forward passes run
     * @return the same combination with that stepping
     */
    public LlamaCombinedModel withStepping(Stepping value) {
        return new LlamaCombinedModel(combined.withStepping(value), parts, threads);
    }

    /** @return how the models' forward passes run */
    public Stepping stepping() {
        return combined.stepping();
    }

    /** @return the combination this model runs on the device */
    @Override
    public Optional<CombinedModel> combination() {
        return Optional.of(combined);
    }

    /** @return the thread budget of a concurrent step */
    public int threads() {
        return threads;
    }

    @Override
    public int vocabSize() {
        return combined.vocabSize();
    }

    /** @return the base's tokenizer, as {@link CombinedModel#tokenizer()} */
    @Override
    public Optional<? extends TextTokenizer> tokenizer() {
        return combined.tokenizer();
    }

    @Override
    public int maxSequenceLength() {
        return combined.maxSequenceLength();
    }

    @Override
    public Session newSession() {
        List<LlamaSession> sessions = new ArrayList<>(parts.size());
        try {
            for (LlamaModel part : parts) {
                sessions.add(part.newSession());
            }
            return new CombinedSession(sessions);
        } catch (RuntimeException e) {
            sessions.forEach(Session::close);
            throw e;
        }
    }

    /**
     * One token for each of several sequences: each model steps all of its sessions in one batched pass
     * ({@link LlamaModel#appendEach}), one model after the other, and each row is combined with the α of the
     * combination its session came from. The sessions may come from several combinations of the same models (the
     * {@code withAlpha} views of one pair), so that requests with different α share a batch.
     *
     * @throws InvalidInputException if a session is not a combined session of these same models
     */
    @Override
    public float[][] appendEach(List<? extends Session> sessions, int[] tokens) {
        List<CombinedSession> own = new ArrayList<>(sessions.size());
        for (Session s : sessions) {
            if (!(s instanceof CombinedSession c) || !c.parts().equals(parts)) {
                throw new InvalidInputException("appendEach steps combined sessions of these same models only");
            }
            own.add(c);
        }
        float[][][] z = new float[parts.size()][][];
        for (int p = 0; p < parts.size(); p++) {
            int part = p;
            z[p] = parts.get(p).appendEach(own.stream().map(c -> c.sessions.get(part)).toList(), tokens);
        }
        float[][] rows = new float[own.size()][];
        for (int i = 0; i < rows.length; i++) {
            float[][] row = new float[parts.size()][];
            for (int p = 0; p < row.length; p++) {
                row[p] = z[p][i];
            }
            rows[i] = own.get(i).combineRow(row);
        }
        return rows;
    }

    /** {@code z_base + α·z_delta} or {@code z_base + α·(z_expert − z_anti)}, in the host combiners' order of operations. */
    private NDArray combine(NDArray[] z) {
        LogitsCombiner c = combined.combiner();
        if (c instanceof ResidualCombiner r) {
            return r.alpha() == 0f ? z[0] : z[0].add(z[1].mul(r.alpha()));
        }
        float alpha = ((ProxyTuningCombiner) c).alpha();
        return alpha == 0f ? z[0] : z[0].add(z[1].sub(z[2]).mul(alpha));
    }

    private boolean onGpu() {
        return parts.get(0).device().isGpu();
    }

    private final class CombinedSession implements Session {
        private final List<LlamaSession> sessions;
        private final NDManager manager;
        /** Under CONCURRENT, the step threads: one per model plus helpers; else null. */
        private final ExecutorService pool;
        private final int helpers;

        CombinedSession(List<LlamaSession> sessions) {
            this.sessions = sessions;
            this.manager = parts.get(0).manager().newSubManager();
            if (stepping() == Stepping.CONCURRENT) {
                // a GPU computes the products: its step threads only launch work and share none
                helpers = threads >= sessions.size() && !onGpu() ? threads - sessions.size() : 0;
                pool = startPool(sessions.size() + helpers);
            } else {
                helpers = 0;
                pool = null;
            }
        }

        @Override
        public float[] append(int... tokens) {
            if (sessions.stream().allMatch(s -> s.model().stepsInJava(s.position(), tokens.length))) {
                return stepInJava(tokens);
            }
            try (NDManager step = manager.newSubManager()) {
                NDArray[] z = new NDArray[sessions.size()];
                if (pool == null || tokens.length > 1 && !onGpu()) {
                    for (int i = 0; i < z.length; i++) {
                        z[i] = sessions.get(i).appendOnDevice(tokens, step);
                    }
                } else {
                    stepConcurrently(tokens, step, z);
                }
                return combine(z).toFloatArray();
            }
        }

        /**
         * Tokens through every model's Java steps, combined on the host: one after the other, each with every
         * thread; or under {@link Stepping#CONCURRENT} each on its own step thread, their products taking turns on
         * the Java kernels' shared threads (each product gets them all) while the rest of one model's step runs
         * beside the other's products.
         */
        private float[] stepInJava(int[] tokens) {
            float[][] z = new float[sessions.size()][];
            if (pool == null) {
                int budget = JniUtils.getNumThreads();
                for (int i = 0; i < z.length; i++) {
                    z[i] = sessions.get(i).appendInJava(tokens, budget, false)[0];
                }
            } else {
                List<Future<?>> pending = new ArrayList<>(z.length);
                for (int i = 0; i < z.length; i++) {
                    int index = i;
                    pending.add(pool.submit(() -> z[index] = sessions.get(index).appendInJava(tokens, threads,
                            false)[0]));
                }
                ConcurrentSteps.awaitAll(pending);
            }
            return combineRow(z);
        }

        private void stepConcurrently(int[] tokens, NDManager step, NDArray[] z) {
            boolean sharing = threads >= sessions.size() && threads > 1 && !onGpu();
            WorkShare share = sharing ? new WorkShare(threads) : null;
            AtomicInteger running = new AtomicInteger(z.length);
            List<Future<?>> pending = new ArrayList<>(z.length + helpers);
            for (int i = 0; i < z.length; i++) {
                int index = i;
                pending.add(pool.submit(() -> {
                    if (sharing) {
                        share.join();
                    }
                    try {
                        z[index] = sessions.get(index).appendOnDevice(tokens, step);
                    } finally {
                        running.decrementAndGet();
                        if (sharing) {
                            share.help(() -> running.get() == 0); // lend this thread to the models still running
                            WorkShare.leave();
                        }
                    }
                }));
            }
            for (int i = 0; i < helpers; i++) {
                pending.add(pool.submit(() -> share.help(() -> running.get() == 0)));
            }
            ConcurrentSteps.awaitAll(pending); // every thread, even after a failure
        }

        /** @return the models this session steps (its combination's) */
        List<LlamaModel> parts() {
            return parts;
        }

        /** @return the logits of one step combined on the host by this session's combination */
        float[] combineRow(float[][] z) {
            float[] out = new float[combined.vocabSize()];
            combined.combiner().combine(z, out);
            return out;
        }

        @Override
        public int position() {
            return sessions.get(0).position();
        }

        @Override
        public void rewind(int position) {
            for (Session s : sessions) {
                s.rewind(position);
            }
        }

        @Override
        public void close() {
            if (pool != null) {
                pool.shutdown();
            }
            sessions.forEach(Session::close);
            manager.close();
        }
    }

    /**
     * Starts the step threads of a concurrent session: each computes with one intra-op thread (the work share is the
     * parallelism) and without autograd.
     */
    private static ExecutorService startPool(int size) {
        AtomicInteger count = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(size, r -> {
            Thread t = new Thread(() -> {
                JniUtils.setNumThreads(1); // per thread under OpenMP; the engine-wide default is restored below
                JniUtils.setGradMode(false);
                r.run();
            }, "ivl-step-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        int callerThreads = JniUtils.getNumThreads();
        List<Future<?>> started = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            started.add(pool.submit(() -> { }));
        }
        ConcurrentSteps.awaitAll(started);
        JniUtils.setNumThreads(callerThreads); // the count threads started later take, and this thread's own
        return pool;
    }
}
