package dev.ivl.djl.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.ivl.core.InvalidInputException;
import dev.ivl.core.IvlException;
import dev.ivl.core.model.Session;

/**
 * One sequence in a {@link LlamaModel}: its KV cache and position. Prompts are fed in chunks of
 * {@link LoadOptions#prefillChunk()} tokens; only the final logits row leaves the device. Every temporary tensor
 * of a step is freed when the step ends. Not thread-safe.
 */
public final class LlamaSession implements Session {
    private final LlamaModel model;
    private final NDManager manager;
    private final KvCache cache;
    private int position;
    private boolean closed;

    LlamaSession(LlamaModel model) {
        this.model = model;
        this.manager = model.manager().newSubManager();
        this.cache = model.newCache(manager);
    }

    @Override
    public float[] append(int... tokens) {
        return lastRow(tokens, null, false);
    }

    /**
     * Like {@link #append}, but the logits stay on the model's device.
     *
     * @param tokens at least one token id
     * @param into the manager the returned array is attached to (the caller closes it)
     * @return float32 logits {@code [1, vocabSize]} after the last token
     */
    NDArray appendOnDevice(int[] tokens, NDManager into) {
        float[][] host = inJava(tokens, null, false);
        if (host != null) {
            return Ops.fromHost(into, host[0], new Shape(1, host[0].length));
        }
        NDArray[] result = new NDArray[1];
        run(tokens, false, null, false, (start, logits) -> {
            NDArray row = logits.toType(DataType.FLOAT32, false);
            NDScope.unregister(row); // outlives the step's scope: it belongs to the caller's manager
            row.attach(into);
            result[0] = row;
        });
        return result[0];
    }

    /**
     * Like {@link #append}, but returns the logits after every one of the tokens.
     *
     * @param tokens at least one token id
     * @return logits {@code [tokens.length][vocabSize]}
     */
    @Override
    public float[][] appendAll(int... tokens) {
        return allRows(tokens, null, false);
    }

    /**
     * Appends tokens under the cascade scheme: the first layer also sees the base model's distribution after each
     * token, {@code softmax(z_base)·W_e}.
     *
     * @param tokens at least one token id
     * @param baseLogits the base model's logits after each of the tokens, {@code [tokens.length][vocabSize]}
     * @param withText whether the token embeddings are added too
     * @return the logits after the last token
     */
    float[] appendCascade(int[] tokens, float[][] baseLogits, boolean withText) {
        return lastRow(tokens, baseLogits, withText);
    }

    /** As {@link #appendCascade}, returning the logits after every one of the tokens. */
    float[][] appendCascadeAll(int[] tokens, float[][] baseLogits, boolean withText) {
        return allRows(tokens, baseLogits, withText);
    }

    /** Runs the tokens (with the cascade input when {@code baseLogits} is given); every row's logits, on the host. */
    private float[][] allRows(int[] tokens, float[][] baseLogits, boolean withText) {
        float[][] host = inJava(tokens, baseLogits, true);
        if (host != null) {
            return host;
        }
        float[][] result = new float[tokens.length][];
        run(tokens, true, baseLogits, withText, (start, logits) -> {
            float[][] rows = model.hostRows(logits);
            System.arraycopy(rows, 0, result, start, rows.length);
        });
        return result;
    }

    /** Runs the tokens (with the cascade input when {@code baseLogits} is given); the last logits, on the host. */
    private float[] lastRow(int[] tokens, float[][] baseLogits, boolean withText) {
        float[][] host = inJava(tokens, baseLogits, false);
        if (host != null) {
            return host[0];
        }
        float[][] result = new float[1][];
        run(tokens, false, baseLogits, withText, (start, logits) -> result[0] = model.hostRows(logits)[0]);
        return result[0];
    }

    /** Receives the logits of a chunk while the chunk's scope is still open. */
    private interface LogitsSink {
        /**
         * @param start the index in the appended tokens of the chunk's first token
         * @param logits {@code [rows, vocabSize]} in the compute dtype: every row of the chunk, or its last one
         */
        void accept(int start, NDArray logits);
    }

    private void run(int[] tokens, boolean allRows, float[][] baseLogits, boolean withText, LogitsSink sink) {
        check(tokens);
        int chunk = model.options().prefillChunk();
        int vocab = model.vocabSize();
        for (int start = 0; start < tokens.length; start += chunk) {
            int end = Math.min(tokens.length, start + chunk);
            boolean last = end == tokens.length;
            try (NDScope scope = new NDScope()) {
                cache.reserve(position + end - start, position);
                long[] ids = new long[end - start];
                for (int i = 0; i < ids.length; i++) {
                    ids[i] = tokens[start + i];
                }
                CascadeInput cascade = null;
                if (baseLogits != null) {
                    float[] rows = new float[ids.length * vocab];
                    for (int i = 0; i < ids.length; i++) {
                        System.arraycopy(baseLogits[start + i], 0, rows, i * vocab, vocab);
                    }
                    NDArray z = Ops.fromHost(manager, rows, new Shape(ids.length, vocab));
                    cascade = new CascadeInput(z.softmax(-1), withText); //                     softmax(z_base)
                }
                NDArray logits = model.forward(manager.create(ids, new Shape(ids.length)), position, cache, allRows,
                        cascade);
                position += ids.length;
                if (allRows || last) {
                    sink.accept(start, logits);
                }
            }
        }
    }

    /**
     * The tokens through the model's Java steps, where it takes them here and there is no cascade input.
     *
     * @return the logits after each token (or the last), or null when the engine's pass must run them
     */
    private float[][] inJava(int[] tokens, float[][] baseLogits, boolean allRows) {
        return baseLogits == null && model.stepsInJava(position, tokens.length)
                ? appendInJava(tokens, WorkShare.productThreads(), allRows) : null;
    }

    /**
     * Appends tokens through the model's Java steps ({@link LlamaModel#stepsInJava} must hold).
     *
     * @param threads the threads the products may use, the caller's among them
     * @param allRows every row's logits when true, the last row's only when false
     * @return the logits after each token, or after the last
     */
    float[][] appendInJava(int[] tokens, int threads, boolean allRows) {
        check(tokens);
        cache.reserve(position + tokens.length, position);
        float[][] logits = model.hostStep(tokens, position, cache, threads, allRows);
        position += tokens.length;
        return logits;
    }

    private void check(int[] tokens) {
        if (closed) {
            throw new IvlException("session is closed");
        }
        if (tokens.length == 0) {
            throw new InvalidInputException("append needs at least one token");
        }
        int vocab = model.vocabSize();
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] < 0 || tokens[i] >= vocab) {
                throw new InvalidInputException("token " + i + " is " + tokens[i] + ", outside the model's vocabulary [0, "
                        + vocab + ")");
            }
        }
        if (position + tokens.length > model.maxSequenceLength()) {
            throw new InvalidInputException("sequence would reach " + (position + tokens.length)
                    + " tokens, more than the model's context of " + model.maxSequenceLength()
                    + " (max_position_embeddings)");
        }
    }

    /** The checks of {@link #append} for one token, for a batched step. */
    void checkAppend(int token) {
        check(new int[] {token});
    }

    KvCache cache() {
        return cache;
    }

    LlamaModel model() {
        return model;
    }

    /** Counts a token a batched step appended. */
    void advance() {
        position++;
    }

    @Override
    public int position() {
        return position;
    }

    @Override
    public void rewind(int newPosition) {
        if (closed) {
            throw new IvlException("session is closed");
        }
        if (newPosition < 0 || newPosition > position) {
            throw new InvalidInputException("cannot rewind to " + newPosition + ": the session holds " + position
                    + " tokens");
        }
        position = newPosition; // later writes overwrite the cache from here; reads never go past position
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            cache.close();
            manager.close();
            model.sessionClosed();
        }
    }
}
