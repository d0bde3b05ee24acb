package dev.ivl.core.fakes;

import dev.ivl.core.InvalidInputException;
import dev.ivl.core.model.BaseModel;
import dev.ivl.core.model.Scheme;
import dev.ivl.core.model.Session;
import dev.ivl.core.model.ValueModel;
import dev.ivl.core.text.TextTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A model for tests: its next-token logits are a function of the whole sequence so far. It checks its inputs like
 * a real model (ids in range, context not exceeded, no use after close) and records every session it opens.
 */
public final class FakeModel implements BaseModel, ValueModel {
    /** Next-token logits after a sequence. */
    @FunctionalInterface
    public interface LogitsFunction {
        /**
         * @param sequence every token so far
         * @return the logits for the next token
         */
        float[] next(int[] sequence);
    }

    /** Logit of the scripted token in {@link #scripted}; every other token has 0. */
    public static final float SCRIPTED_LOGIT = 10f;

    private final int vocabSize;
    private final int maxSequenceLength;
    private final LogitsFunction function;
    private final List<FakeSession> sessions = new CopyOnWriteArrayList<>();
    private final TextTokenizer tokenizer;
    private final Scheme scheme;

    /**
     * @param vocabSize logits per step
     * @param maxSequenceLength context
     * @param function the logits
     */
    public FakeModel(int vocabSize, int maxSequenceLength, LogitsFunction function) {
        this(vocabSize, maxSequenceLength, function, null, Scheme.RESIDUAL);
    }

    private FakeModel(int vocabSize, int maxSequenceLength, LogitsFunction function, TextTokenizer tokenizer,
            Scheme scheme) {
        this.vocabSize = vocabSize;
        this.maxSequenceLength = maxSequenceLength;
        this.function = function;
        this.tokenizer = tokenizer;
        this.scheme = scheme;
    }

    /** @return the same logits, from a model that knows its tokenizer */
    public FakeModel withTokenizer(TextTokenizer value) {
        return new FakeModel(vocabSize, maxSequenceLength, function, value, scheme);
    }

    /** @return the same logits, from a value model trained with that scheme */
    public FakeModel withScheme(Scheme value) {
        return new FakeModel(vocabSize, maxSequenceLength, function, tokenizer, value);
    }

    @Override
    public Optional<? extends TextTokenizer> tokenizer() {
        return Optional.ofNullable(tokenizer);
    }

    @Override
    public Scheme scheme() {
        return scheme;
    }

    /**
     * A model that, after a prompt of {@code promptLength} tokens, strongly prefers {@code script[0]}, then
     * {@code script[1]}, ..., and {@code filler} once the script is used up.
     */
    public static FakeModel scripted(int vocabSize, int maxSequenceLength, int promptLength, int filler,
            int... script) {
        return new FakeModel(vocabSize, maxSequenceLength, sequence -> {
            int k = sequence.length - promptLength;
            float[] logits = new float[vocabSize];
            logits[k >= 0 && k < script.length ? script[k] : filler] = SCRIPTED_LOGIT;
            return logits;
        });
    }

    /** A model that returns the same logits at every step (context 1024). */
    public static FakeModel constant(float... logits) {
        return new FakeModel(logits.length, 1024, sequence -> logits.clone());
    }

    @Override
    public int vocabSize() {
        return vocabSize;
    }

    @Override
    public int maxSequenceLength() {
        return maxSequenceLength;
    }

    @Override
    public FakeSession newSession() {
        FakeSession s = new FakeSession();
        sessions.add(s);
        return s;
    }

    /** @return every session opened so far, in order */
    public List<FakeSession> sessions() {
        return List.copyOf(sessions);
    }

    /** @return how many sessions are open */
    public long openSessions() {
        return sessions.stream().filter(s -> !s.closed).count();
    }

    /** A session of {@link FakeModel}. */
    public final class FakeSession implements Session {
        private final List<Integer> tokens = new ArrayList<>();
        private volatile boolean closed;
        private final List<Integer> appendSizes = new ArrayList<>();

        @Override
        public float[] append(int... ids) {
            if (closed) {
                throw new IllegalStateException("session closed");
            }
            if (ids.length == 0) {
                throw new InvalidInputException("no token given");
            }
            for (int id : ids) {
                if (id < 0 || id >= vocabSize) {
                    throw new InvalidInputException("token " + id + " outside [0, " + vocabSize + ")");
                }
            }
            if (tokens.size() + ids.length > maxSequenceLength) {
                throw new InvalidInputException("context of " + maxSequenceLength + " exceeded");
            }
            for (int id : ids) {
                tokens.add(id);
            }
            appendSizes.add(ids.length);
            float[] logits = function.next(tokens());
            if (logits.length != vocabSize) {
                throw new AssertionError("logits function returned " + logits.length + " logits");
            }
            return logits.clone();
        }

        @Override
        public int position() {
            return tokens.size();
        }

        @Override
        public void rewind(int position) {
            if (position < 0 || position > tokens.size()) {
                throw new InvalidInputException("rewind to " + position + " outside [0, " + tokens.size() + "]");
            }
            tokens.subList(position, tokens.size()).clear();
        }

        @Override
        public void close() {
            closed = true;
        }

        /** @return the tokens the session holds */
        public int[] tokens() {
            return tokens.stream().mapToInt(Integer::intValue).toArray();
        }

        /** @return the number of tokens of each append call, in order */
        public int[] appendSizes() {
            return appendSizes.stream().mapToInt(Integer::intValue).toArray();
        }

        /** @return whether close() was called */
        public boolean isClosed() {
            return closed;
        }

        @Override
        public String toString() {
            return "FakeSession" + Arrays.toString(tokens());
        }
    }
}
