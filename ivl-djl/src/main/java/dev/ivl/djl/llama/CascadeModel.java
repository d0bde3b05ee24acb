package dev.ivl.djl.llama;

import dev.ivl.core.InvalidInputException;
import dev.ivl.core.IllegalParameterException;
import dev.ivl.core.model.LanguageModel;
import dev.ivl.core.model.Scheme;
import dev.ivl.core.model.Session;
import dev.ivl.core.text.TextTokenizer;
import dev.ivl.core.text.Vocabularies;
import java.util.Optional;

/**
 * A base model with a value model trained under the cascade scheme: the value model's first layer sees the base's
 * next-token distribution, {@code h₀ = softmax(z_base)·W_e (+ embed(x))}, and the combined logits are
 * {@code z_base + α·z_delta}. Unlike the residual scheme, the value model needs the base's output of the same step,
 * so the two run one after the other.
 */
public final class CascadeModel implements LanguageModel {
    private final LlamaModel base;
    private final LlamaModel value;
    private final float alpha;
    private final boolean withText;

    /**
     * Plugs in a value model whose {@code ivl.json} records a cascade scheme, with or without the text as it says.
     *
     * @param base the base model
     * @param value the value model, trained with {@link Scheme#CASCADE} or {@link Scheme#CASCADE_NO_TEXT}
     * @param alpha the weight of z_delta
     * @throws InvalidInputException if the value model's {@code ivl.json} records no cascade scheme, or the two
     *     vocabularies differ
     */
    public CascadeModel(LlamaModel base, LlamaModel value, float alpha) {
        this(base, value, alpha, recordedText(value));
    }

    /**
     * Plugs in a cascade value model, saying which of the two cascade schemes it was trained with: for a value
     * model without {@code ivl.json} (one trained in this process, say); one that has it must agree.
     *
     * @param base the base model
     * @param value the value model, trained with the cascade scheme
     * @param alpha the weight of z_delta
     * @param withText whether the value model also sees the token embeddings (the scheme it was trained with)
     * @throws InvalidInputException if the value model's {@code ivl.json} records another scheme, or the two
     *     vocabularies differ
     */
    public CascadeModel(LlamaModel base, LlamaModel value, float alpha, boolean withText) {
        if (base.vocabSize() != value.vocabSize()) {
            throw new InvalidInputException("vocabulary mismatch: base has " + base.vocabSize()
                    + " tokens, value model has " + value.vocabSize() + " (the cascade scheme needs equal vocabularies)");
        }
        Scheme wanted = withText ? Scheme.CASCADE : Scheme.CASCADE_NO_TEXT;
        value.manifest().filter(m -> m.scheme() != wanted).ifPresent(m -> {
            throw new InvalidInputException("value model " + value.source() + " was trained with the "
                    + m.scheme().label() + " scheme (its ivl.json), not " + wanted.label());
        });
        base.tokenizer().flatMap(b -> value.tokenizer().flatMap(v -> Vocabularies.difference(b, v, b.vocabSize())))
                .ifPresent(d -> {
                    throw new InvalidInputException("the base and value tokenizers differ (" + d + "): the cascade"
                            + " scheme needs one vocabulary");
                });
        if (!Float.isFinite(alpha)) {
            throw new IllegalParameterException("alpha", alpha, "must be finite");
        }
        this.base = base;
        this.value = value;
        this.alpha = alpha;
        this.withText = withText;
    }

    private static boolean recordedText(LlamaModel value) {
        Scheme scheme = value.scheme();
        if (!scheme.cascade()) {
            throw new InvalidInputException("value model " + value.source() + " was not trained with a cascade scheme"
                    + (value.manifest().isEmpty() ? " (its folder has no ivl.json)" : " (ivl.json: " + scheme.label()
                            + ")"));
        }
        return scheme == Scheme.CASCADE;
    }

    /** @return the base's tokenizer, the vocabulary both models share */
    @Override
    public Optional<? extends TextTokenizer> tokenizer() {
        return base.tokenizer();
    }

    @Override
    public int vocabSize() {
        return base.vocabSize();
    }

    @Override
    public int maxSequenceLength() {
        return Math.min(base.maxSequenceLength(), value.maxSequenceLength());
    }

    @Override
    public Session newSession() {
        LlamaSession b = base.newSession();
        try {
            return new CascadeSession(b, value.newSession());
        } catch (RuntimeException e) {
            b.close();
            throw e;
        }
    }

    private final class CascadeSession implements Session {
        private final LlamaSession baseSession;
        private final LlamaSession valueSession;

        CascadeSession(LlamaSession baseSession, LlamaSession valueSession) {
            this.baseSession = baseSession;
            this.valueSession = valueSession;
        }

        @Override
        public float[] append(int... tokens) {
            float[][] zBase = baseSession.appendAll(tokens);
            float[] zDelta = valueSession.appendCascade(tokens, zBase, withText);
            float[] last = zBase[zBase.length - 1];
            float[] out = new float[last.length];
            for (int i = 0; i < out.length; i++) {
                out[i] = last[i] + alpha * zDelta[i]; // z_base + α·z_delta
            }
            return out;
        }

        /** The base's logits after every token, and the value model's from them: both in one pass each. */
        @Override
        public float[][] appendAll(int... tokens) {
            float[][] zBase = baseSession.appendAll(tokens);
            float[][] zDelta = valueSession.appendCascadeAll(tokens, zBase, withText);
            for (int t = 0; t < zBase.length; t++) {
                for (int i = 0; i < zBase[t].length; i++) {
                    zBase[t][i] += alpha * zDelta[t][i]; // z_base + α·z_delta
                }
            }
            return zBase;
        }

        @Override
        public int position() {
            return baseSession.position();
        }

        @Override
        public void rewind(int position) {
            baseSession.rewind(position);
            valueSession.rewind(position);
        }

        @Override
        public void close() {
            baseSession.close();
            valueSession.close();
        }
    }
}
