package dev.ivl.djl.vocab;

import dev.ivl.core.model.BaseModel;
import dev.ivl.core.model.LanguageModel;
import dev.ivl.core.model.Session;
import dev.ivl.core.model.ValueModel;
import java.util.ArrayList;
import java.util.List;

/**
 * Wraps a model and records, for each session, the tokens it holds and every append call. Without a model, every
 * step returns zero logits of the given size.
 */
final class RecordingModel implements BaseModel, ValueModel {
    private final LanguageModel inner;
    private final int vocabSize;
    final List<Recorder> sessions = new ArrayList<>();

    RecordingModel(LanguageModel inner) {
        this.inner = inner;
        this.vocabSize = inner.vocabSize();
    }

    RecordingModel(int vocabSize) {
        this.inner = null;
        this.vocabSize = vocabSize;
    }

    @Override
    public int vocabSize() {
        return vocabSize;
    }

    @Override
    public int maxSequenceLength() {
        return inner == null ? 1 << 20 : inner.maxSequenceLength();
    }

    @Override
    public Session newSession() {
        Recorder r = new Recorder(inner == null ? null : inner.newSession());
        sessions.add(r);
        return r;
    }

    /** A recording session. */
    final class Recorder implements Session {
        private final Session session;
        final List<Integer> tokens = new ArrayList<>();
        final List<Integer> appendSizes = new ArrayList<>();

        Recorder(Session session) {
            this.session = session;
        }

        @Override
        public float[] append(int... ids) {
            float[] logits = session == null ? new float[vocabSize] : session.append(ids);
            for (int id : ids) {
                tokens.add(id);
            }
            appendSizes.add(ids.length);
            return logits;
        }

        @Override
        public int position() {
            return tokens.size();
        }

        @Override
        public void rewind(int position) {
            if (session != null) {
                session.rewind(position);
            }
            tokens.subList(position, tokens.size()).clear();
        }

        @Override
        public void close() {
            if (session != null) {
                session.close();
            }
        }

        int[] tokens() {
            return tokens.stream().mapToInt(Integer::intValue).toArray();
        }
    }
}
