package dev.ivl.core.combine;

import dev.ivl.core.InvalidInputException;
import dev.ivl.core.internal.ConcurrentSteps;
import dev.ivl.core.model.LanguageModel;
import dev.ivl.core.model.Session;
import dev.ivl.core.text.TextTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Several models decoding one sequence together: every step feeds the same tokens to a session of each model and
 * merges their logits with a {@link LogitsCombiner}. Built by {@link ResidualCombiner#combine} or
 * {@link ProxyTuningCombiner#combine}, which check that the parts suit each other; the constructors check only
 * the number of parts and the vocabulary sizes. Usable wherever a {@link LanguageModel} is. The forward passes run one after
 * the other or at the same time ({@link #withStepping}); the logits are the same either way.
 */
public final class CombinedModel implements LanguageModel, Combination {
    private final List<LanguageModel> parts;
    private final LogitsCombiner combiner;
    private final int vocabSize;
    private final int maxSequenceLength;
    private final Stepping stepping;

    /**
     * Combines models that step one after the other.
     *
     * @param parts the models, in the order the combiner expects
     * @param combiner how their logits are merged
     * @throws InvalidInputException if the number of models or their vocabularies do not suit the combiner
     */
    public CombinedModel(List<? extends LanguageModel> parts, LogitsCombiner combiner) {
        this(parts, combiner, Stepping.SEQUENTIAL);
    }

    /**
     * @param parts the models, in the order the combiner expects
     * @param combiner how their logits are merged
     * @param stepping whether the models' forward passes run one after the other or at the same time
     * @throws InvalidInputException if the number of models or their vocabularies do not suit the combiner
     */
    public CombinedModel(List<? extends LanguageModel> parts, LogitsCombiner combiner, Stepping stepping) {
        if (parts.size() != combiner.arity()) {
            throw new InvalidInputException(combiner.getClass().getSimpleName() + " combines " + combiner.arity()
                    + " models, got " + parts.size());
        }
        this.parts = List.copyOf(parts);
        this.combiner = combiner;
        this.vocabSize = combiner.outputSize(this.parts.stream().mapToInt(LanguageModel::vocabSize).toArray());
        this.maxSequenceLength = this.parts.stream().mapToInt(LanguageModel::maxSequenceLength).min().orElseThrow();
        this.stepping = Objects.requireNonNull(stepping, "stepping");
    }

    /**
     * @param value how the models' forward passes run
     * @return the same combination with that stepping
     */
    public CombinedModel withStepping(Stepping value) {
        return new CombinedModel(parts, combiner, value);
    }

    /** @return how the models' forward passes run */
    public Stepping stepping() {
        return stepping;
    }

    /** @return the combined models, in combiner order */
    public List<LanguageModel> parts() {
        return parts;
    }

    /** @return the combiner */
    public LogitsCombiner combiner() {
        return combiner;
    }

    /** @return this combination */
    @Override
    public Optional<CombinedModel> combination() {
        return Optional.of(this);
    }

    @Override
    public int vocabSize() {
        return vocabSize;
    }

    /** @return the tokenizer of the first part (the base), whose vocabulary the combination samples in */
    @Override
    public Optional<? extends TextTokenizer> tokenizer() {
        return parts.get(0).tokenizer();
    }

    /** @return the smallest context of the parts */
    @Override
    public int maxSequenceLength() {
        return maxSequenceLength;
    }

    @Override
    public Session newSession() {
        List<Session> sessions = new ArrayList<>(parts.size());
        try {
            for (LanguageModel part : parts) {
                sessions.add(part.newSession());
            }
        } catch (RuntimeException e) {
            sessions.forEach(Session::close);
            throw e;
        }
        return new CombinedSession(sessions);
    }

    private final class CombinedSession implements Session {
        private final List<Session> sessions;
        /** Under CONCURRENT, a single-thread worker for each model but the first; else empty. */
        private final List<ExecutorService> workers = new ArrayList<>();

        CombinedSession(List<Session> sessions) {
            this.sessions = sessions;
            if (stepping == Stepping.CONCURRENT) {
                for (int i = 1; i < sessions.size(); i++) {
                    String name = "ivl-step-" + i;
                    workers.add(Executors.newSingleThreadExecutor(r -> {
                        Thread t = new Thread(r, name);
                        t.setDaemon(true);
                        return t;
                    }));
                }
            }
        }

        @Override
        public float[] append(int... tokens) {
            float[][] logits = new float[sessions.size()][];
            if (workers.isEmpty()) {
                for (int i = 0; i < logits.length; i++) {
                    logits[i] = sessions.get(i).append(tokens);
                }
            } else {
                List<Future<float[]>> pending = new ArrayList<>(workers.size());
                for (int i = 1; i < logits.length; i++) {
                    Session s = sessions.get(i);
                    pending.add(workers.get(i - 1).submit(() -> s.append(tokens)));
                }
                List<float[]> rest = ConcurrentSteps.awaitAfter(() -> logits[0] = sessions.get(0).append(tokens),
                        pending);
                for (int i = 1; i < logits.length; i++) {
                    logits[i] = rest.get(i - 1);
                }
            }
            float[] out = new float[vocabSize];
            combiner.combine(logits, out);
            return out;
        }

        /** Every part's logits after every token (each in one pass), combined row by row. */
        @Override
        public float[][] appendAll(int... tokens) {
            float[][][] z = new float[sessions.size()][][];
            for (int p = 0; p < z.length; p++) {
                z[p] = sessions.get(p).appendAll(tokens);
            }
            float[][] rows = new float[tokens.length][];
            float[][] row = new float[z.length][];
            for (int t = 0; t < rows.length; t++) {
                for (int p = 0; p < z.length; p++) {
                    row[p] = z[p][t];
                }
                rows[t] = new float[vocabSize];
                combiner.combine(row, rows[t]);
            }
            return rows;
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
            for (Session s : sessions) {
                s.close();
            }
            workers.forEach(ExecutorService::shutdown);
        }
    }
}
