package dev.ivl.core.combine;

import dev.ivl.core.InvalidInputException;
import dev.ivl.core.model.LanguageModel;
import dev.ivl.core.model.Session;
import java.util.ArrayList;
import java.util.List;

/**
 * Several models decoding one sequence together: every step feeds the same tokens to a session of each model and
 * merges their logits with a {@link LogitsCombiner}. Built by {@link ResidualCombiner#combine} or
 * {@link ProxyTuningCombiner#combine}; usable wherever a {@link LanguageModel} is.
 */
public final class CombinedModel implements LanguageModel {
    private final List<LanguageModel> parts;
    private final LogitsCombiner combiner;
    private final int vocabSize;
    private final int maxSequenceLength;

    /**
     * @param parts the models, in the order the combiner expects
     * @param combiner how their logits are merged
     * @throws InvalidInputException if the number of models or their vocabularies do not suit the combiner
     */
    public CombinedModel(List<? extends LanguageModel> parts, LogitsCombiner combiner) {
        if (parts.size() != combiner.arity()) {
            throw new InvalidInputException(combiner.getClass().getSimpleName() + " combines " + combiner.arity()
                    + " models, got " + parts.size());
        }
        this.parts = List.copyOf(parts);
        this.combiner = combiner;
        this.vocabSize = combiner.outputSize(this.parts.stream().mapToInt(LanguageModel::vocabSize).toArray());
        this.maxSequenceLength = this.parts.stream().mapToInt(LanguageModel::maxSequenceLength).min().orElseThrow();
    }

    /** @return the combined models, in combiner order */
    public List<LanguageModel> parts() {
        return parts;
    }

    /** @return the combiner */
    public LogitsCombiner combiner() {
        return combiner;
    }

    @Override
    public int vocabSize() {
        return vocabSize;
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

        CombinedSession(List<Session> sessions) {
            this.sessions = sessions;
        }

        @Override
        public float[] append(int... tokens) {
            float[][] logits = new float[sessions.size()][];
            for (int i = 0; i < logits.length; i++) {
                logits[i] = sessions.get(i).append(tokens);
            }
            float[] out = new float[vocabSize];
            combiner.combine(logits, out);
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
            for (Session s : sessions) {
                s.close();
            }
        }
    }
}
