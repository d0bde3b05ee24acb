package dev.ivl.core.vocab;

import dev.ivl.core.InvalidInputException;
import dev.ivl.core.IllegalParameterException;
import dev.ivl.core.model.BaseModel;
import dev.ivl.core.model.LanguageModel;
import dev.ivl.core.model.Session;
import dev.ivl.core.model.ValueModel;
import dev.ivl.core.text.IncrementalDecoder;
import dev.ivl.core.text.TextTokenizer;
import dev.ivl.core.text.Vocabularies;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * A base model and a value model with different tokenizers decoding one text together, joined by a token map W
 * (|V_base| × |V_value|). Tokens are sampled in one vocabulary ({@link SamplingVocabulary}); the text those tokens
 * decode to is the single source of truth, and the other model follows it: after every step the text is encoded
 * with the other tokenizer, and where the end of that encoding changed, the other model's session is rewound to the
 * last token that stayed and fed the rest (only a window at the end of the text is encoded again; see the
 * stable-prefix rule of {@code TokenSync}). A character still incomplete in the sampled tokens (a byte-fallback or
 * byte-level token cut from the rest of its bytes) is held back from the other model until it is whole.
 *
 * <p>The other model's sequence starts with its start tokens (by default its tokenizer's BOS, if it has one),
 * followed by its tokenizer's encoding of the text without special tokens. Special tokens among the sampled tokens
 * (such as the sampling side's BOS) are not part of the text, so the other model does not see them.
 *
 * <p>Logits: under {@link SamplingVocabulary#VALUE}, {@code z_base·W + α·z_delta}, where value tokens that no
 * base token maps to get −∞ if {@linkplain Builder#maskUnmapped unmapped tokens are masked} (the default) and
 * {@code α·z_delta} otherwise (the paper's eq. 5 as written). Under {@link SamplingVocabulary#BASE},
 * {@code z_base + α·z_delta·Wᵀ}. Model entries beyond the tokenizer's vocabulary (padded embeddings) get −∞, so
 * only tokens the tokenizer can decode are sampled.
 *
 * <p>α = 0 gives the base model's text only when sampling in the base vocabulary ({@link SamplingVocabulary#BASE}:
 * the logits are then exactly z_base). Under {@link SamplingVocabulary#VALUE} they are {@code z_base·W}, the base's
 * logits carried into the value vocabulary through the map: each value token gets the weighted logits of the base
 * tokens mapped to it, which spells the same text only where the two tokenizers cut it the same way.
 *
 * <p>Immutable and thread-safe; each session is used by one thread at a time. Use it with the
 * {@link dev.ivl.core.generate.Generator}, which takes the {@linkplain #tokenizer() sampling tokenizer} from it.
 */
public final class CrossVocabularyModel implements LanguageModel {
    private final LanguageModel sampled;
    private final LanguageModel other;
    private final TextTokenizer sampledTokenizer;
    private final TextTokenizer otherTokenizer;
    private final TokenBytes otherBytes;
    private final TokenMap map;
    private final float alpha;
    private final SamplingVocabulary sampling;
    private final boolean maskUnmapped;
    private final int[] otherStart;

    private CrossVocabularyModel(Builder b, TokenBytes otherBytes, int[] otherStart) {
        boolean value = b.sampling == SamplingVocabulary.VALUE;
        this.sampled = value ? b.value : b.base;
        this.other = value ? b.base : b.value;
        this.sampledTokenizer = value ? b.valueTokenizer : b.baseTokenizer;
        this.otherTokenizer = value ? b.baseTokenizer : b.valueTokenizer;
        this.otherBytes = otherBytes;
        this.map = b.map;
        this.alpha = b.alpha;
        this.sampling = b.sampling;
        this.maskUnmapped = b.maskUnmapped;
        this.otherStart = otherStart;
    }

    /**
     * @param base the base model (its logits are z_base)
     * @param baseTokenizer the base model's tokenizer; the map's rows are its tokens
     * @param value the value model (its logits are z_delta)
     * @param valueTokenizer the value model's tokenizer; the map's columns are its tokens
     * @param map the token map W, built for exactly these two tokenizers
     * @return a builder with α = 1, sampling in the value vocabulary, unmapped tokens masked
     */
    public static Builder builder(BaseModel base, TextTokenizer baseTokenizer, ValueModel value,
            TextTokenizer valueTokenizer, TokenMap map) {
        return new Builder(base, baseTokenizer, value, valueTokenizer, map);
    }

    /** @return the tokenizer of the sampling vocabulary, which the generator takes from {@link #tokenizer()} */
    public TextTokenizer samplingTokenizer() {
        return sampledTokenizer;
    }

    /** @return the tokenizer of the sampling vocabulary: prompts, stop tokens and text are in its ids */
    @Override
    public Optional<? extends TextTokenizer> tokenizer() {
        return Optional.of(sampledTokenizer);
    }

    /** @return the number of logits per step: the sampling model's vocabulary size */
    @Override
    public int vocabSize() {
        return sampled.vocabSize();
    }

    /** @return the smaller context of the two models (the other model may need more tokens for the same text) */
    @Override
    public int maxSequenceLength() {
        return Math.min(sampled.maxSequenceLength(), other.maxSequenceLength());
    }

    @Override
    public Session newSession() {
        Session s = sampled.newSession();
        try {
            return new CrossSession(s, other.newSession());
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
    }

    /** Builds a {@link CrossVocabularyModel}; checks every size when {@link #build} is called. */
    public static final class Builder {
        private final BaseModel base;
        private final TextTokenizer baseTokenizer;
        private final ValueModel value;
        private final TextTokenizer valueTokenizer;
        private final TokenMap map;
        private float alpha = 1f;
        private SamplingVocabulary sampling = SamplingVocabulary.VALUE;
        private boolean maskUnmapped = true;
        private int[] otherStart;

        private Builder(BaseModel base, TextTokenizer baseTokenizer, ValueModel value, TextTokenizer valueTokenizer,
                TokenMap map) {
            this.base = Objects.requireNonNull(base, "base");
            this.baseTokenizer = Objects.requireNonNull(baseTokenizer, "baseTokenizer");
            this.value = Objects.requireNonNull(value, "value");
            this.valueTokenizer = Objects.requireNonNull(valueTokenizer, "valueTokenizer");
            this.map = Objects.requireNonNull(map, "map");
        }

        /**
         * @param value the weight α of z_delta; finite
         * @return this builder
         */
        public Builder alpha(float value) {
            if (!Float.isFinite(value)) {
                throw new IllegalParameterException("alpha", value, "must be finite");
            }
            this.alpha = value;
            return this;
        }

        /**
         * @param value the vocabulary to sample from
         * @return this builder
         */
        public Builder sampling(SamplingVocabulary value) {
            this.sampling = Objects.requireNonNull(value, "sampling");
            return this;
        }

        /**
         * @param value under {@link SamplingVocabulary#VALUE}, whether value tokens that no base token maps to get
         *     −∞ (true, the default) or just {@code α·z_delta} (false, the paper's eq. 5 as written)
         * @return this builder
         */
        public Builder maskUnmapped(boolean value) {
            this.maskUnmapped = value;
            return this;
        }

        /**
         * @param ids the tokens the other (non-sampling) model's sequence starts with, before the text; by default
         *     its tokenizer's BOS if it has one, else none
         * @return this builder
         */
        public Builder otherStartTokens(int... ids) {
            this.otherStart = ids.clone();
            return this;
        }

        /**
         * @return the model
         * @throws InvalidInputException if the map was not built for tokenizers of these sizes, a model's
         *     vocabulary is smaller than its tokenizer's, or a start token is out of range
         */
        public CrossVocabularyModel build() {
            if (map.rows() != baseTokenizer.vocabSize() || map.columns() != valueTokenizer.vocabSize()) {
                throw new InvalidInputException("the token map is " + map.rows() + " x " + map.columns()
                        + " but the base tokenizer has " + baseTokenizer.vocabSize()
                        + " tokens and the value tokenizer " + valueTokenizer.vocabSize()
                        + ": the map was built for other tokenizers");
            }
            checkModel("base", base, baseTokenizer);
            checkModel("value", value, valueTokenizer);
            boolean sampleValue = sampling == SamplingVocabulary.VALUE;
            LanguageModel otherModel = sampleValue ? base : value;
            TextTokenizer otherTok = sampleValue ? baseTokenizer : valueTokenizer;
            int[] start = otherStart != null ? otherStart
                    : otherTok.bosTokenId().isPresent() ? new int[] {otherTok.bosTokenId().getAsInt()} : new int[0];
            for (int id : start) {
                if (id < 0 || id >= otherModel.vocabSize()) {
                    throw new InvalidInputException("start token " + id + " of the " + (sampleValue ? "base" : "value")
                            + " model is outside its vocabulary [0, " + otherModel.vocabSize() + ")");
                }
            }
            TokenBytes bytes;
            try {
                bytes = TokenBytes.of(otherTok);
            } catch (InvalidInputException e) { // no token strings: the other text is encoded whole every step
                bytes = null;
            }
            return new CrossVocabularyModel(this, bytes, start);
        }

        private static void checkModel(String role, LanguageModel model, TextTokenizer tokenizer) {
            if (model.vocabSize() < tokenizer.vocabSize()) {
                throw new InvalidInputException("the " + role + " model has " + model.vocabSize()
                        + " logits but its tokenizer " + tokenizer.vocabSize() + " tokens: ids from "
                        + model.vocabSize() + " on would be out of range");
            }
            model.tokenizer().flatMap(own -> Vocabularies.difference(own, tokenizer,
                    Math.max(own.vocabSize(), tokenizer.vocabSize()))).ifPresent(d -> {
                        throw new InvalidInputException("the " + role + " tokenizer given is not the " + role
                                + " model's own (" + d + ")");
                    });
        }
    }

    /** The state of one text in both models. */
    private final class CrossSession implements Session {
        private final Session sampledSession;
        private final Session otherSession;
        private final TokenSync sync = new TokenSync(otherTokenizer, otherBytes);
        private int[] ids = new int[64];
        private int size;
        private IncrementalDecoder decoder = sampledTokenizer.newDecoder();
        /** UTF-8 bytes of the complete text so far. */
        private byte[] text = new byte[256];
        private int textLength;
        /** How many leading text bytes are unchanged since the other sequence was last derived. */
        private int unchanged;
        /** Tokens the other session holds: a prefix of otherStart followed by the synced tokens. */
        private int otherPosition;
        private float[] otherLogits;
        private boolean closed;

        CrossSession(Session sampledSession, Session otherSession) {
            this.sampledSession = sampledSession;
            this.otherSession = otherSession;
        }

        @Override
        public float[] append(int... tokens) {
            checkOpen();
            int before = size;
            float[] sampledLogits = sampledSession.append(tokens); // checks ids and context
            try {
                for (int t : tokens) {
                    if (size == ids.length) {
                        ids = Arrays.copyOf(ids, size * 2);
                    }
                    ids[size++] = t;
                    appendText(decoder.push(t));
                }
                return combine(sampledLogits, syncOther());
            } catch (RuntimeException e) {
                rewind(before); // both sessions back where they were
                throw e;
            }
        }

        @Override
        public int position() {
            return sampledSession.position();
        }

        @Override
        public void rewind(int position) {
            checkOpen();
            sampledSession.rewind(position);
            size = position;
            byte[] old = Arrays.copyOf(text, textLength);
            decoder = sampledTokenizer.newDecoder();
            textLength = 0;
            for (int i = 0; i < size; i++) {
                appendText(decoder.push(ids[i]));
            }
            int common = 0;
            int limit = Math.min(old.length, textLength);
            while (common < limit && old[common] == text[common]) {
                common++;
            }
            unchanged = Math.min(unchanged, common);
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                try {
                    sampledSession.close();
                } finally {
                    otherSession.close();
                }
            }
        }

        private void checkOpen() {
            if (closed) {
                throw new IllegalStateException("session closed");
            }
        }

        private void appendText(String piece) {
            if (piece.isEmpty()) {
                return;
            }
            byte[] b = piece.getBytes(StandardCharsets.UTF_8);
            if (textLength + b.length > text.length) {
                text = Arrays.copyOf(text, Math.max(textLength + b.length, text.length * 2));
            }
            System.arraycopy(b, 0, text, textLength, b.length);
            textLength += b.length;
        }

        /** Brings the other session up to the text; returns its logits for the next token. */
        private float[] syncOther() {
            int common = sync.update(text, textLength, unchanged);
            unchanged = textLength;
            int wanted = otherStart.length + sync.size();
            if (wanted == 0) {
                throw new InvalidInputException("the " + (sampling == SamplingVocabulary.VALUE ? "base" : "value")
                        + " model has no token to start from: the text is empty and it has no start tokens (set"
                        + " otherStartTokens, e.g. to its BOS)");
            }
            int same = Math.min(otherPosition, otherStart.length + common);
            if (same == wanted && otherPosition == wanted && otherLogits != null) {
                return otherLogits; // the text grew by nothing the other tokenizer sees
            }
            int from = Math.min(same, wanted - 1); // at least one token goes in, to get logits
            int[] feed = new int[wanted - from];
            for (int i = from; i < wanted; i++) {
                feed[i - from] = i < otherStart.length ? otherStart[i] : sync.token(i - otherStart.length);
            }
            otherSession.rewind(from);
            otherPosition = from;
            otherLogits = null;
            try {
                otherLogits = otherSession.append(feed);
            } catch (InvalidInputException e) {
                throw new InvalidInputException("the " + (sampling == SamplingVocabulary.VALUE ? "base" : "value")
                        + " model following the text in its own tokens: " + e.getMessage());
            }
            otherPosition = wanted;
            return otherLogits;
        }

        private float[] combine(float[] sampledLogits, float[] otherLogits) {
            float[] out = new float[sampledLogits.length];
            if (sampling == SamplingVocabulary.VALUE) { // z_base·W + α·z_delta
                int columns = map.columns();
                map.multiply(otherLogits, out);
                for (int v = 0; v < columns; v++) {
                    out[v] = maskUnmapped && !map.reaches(v) ? Float.NEGATIVE_INFINITY
                            : out[v] + alpha * sampledLogits[v];
                }
                Arrays.fill(out, columns, out.length, Float.NEGATIVE_INFINITY);
            } else { // z_base + α·z_delta·Wᵀ
                int rows = map.rows();
                map.multiplyTransposed(otherLogits, out);
                for (int b = 0; b < rows; b++) {
                    out[b] = sampledLogits[b] + alpha * out[b];
                }
                Arrays.fill(out, rows, out.length, Float.NEGATIVE_INFINITY);
            }
            return out;
        }
    }
}
