package dev.ivl.core.combine;

import dev.ivl.core.InvalidInputException;
import dev.ivl.core.IllegalParameterException;
import dev.ivl.core.model.BaseModel;
import dev.ivl.core.model.Scheme;
import dev.ivl.core.model.ValueModel;
import dev.ivl.core.text.TextTokenizer;
import dev.ivl.core.text.Vocabularies;
import java.util.List;
import java.util.Optional;

/**
 * The residual combination of inverse value learning: {@code z_post = z_base + α·z_delta}. With α = 0 the result
 * is exactly z_base. Inputs are {@code [z_base, z_delta]}.
 *
 * @param alpha the weight α of the value model's logits; finite
 * @param policy how differing vocabulary sizes are treated
 */
public record ResidualCombiner(float alpha, VocabularyPolicy policy) implements LogitsCombiner {
    /** Validates the parameters. */
    public ResidualCombiner {
        if (!Float.isFinite(alpha)) {
            throw new IllegalParameterException("alpha", alpha, "must be finite");
        }
        if (policy == null) {
            throw new IllegalParameterException("policy", null, "must not be null");
        }
    }

    /** α = 1 with {@link VocabularyPolicy#EXACT}, the paper's setting. */
    public ResidualCombiner() {
        this(1.0f, VocabularyPolicy.EXACT);
    }

    /**
     * @param alpha the weight of z_delta
     * @return a combiner with that α and {@link VocabularyPolicy#EXACT}
     */
    public static ResidualCombiner withAlpha(float alpha) {
        return new ResidualCombiner(alpha, VocabularyPolicy.EXACT);
    }

    /**
     * Plugs a value model into a base model, after checking that the pair can be combined this way: the value model
     * was trained with the {@linkplain Scheme#RESIDUAL residual scheme}, and where both models know their
     * tokenizers, ids mean the same tokens in both (under {@link VocabularyPolicy#VALUE_PREFIX}, in the shared
     * prefix). To combine a pair these checks refuse anyway, build the {@link CombinedModel} directly.
     *
     * @param base the base model
     * @param value the value model
     * @return a model whose logits are {@code z_base + α·z_delta}
     * @throws InvalidInputException if the value model was trained with another scheme, the vocabulary sizes do not
     *     suit the policy, or the tokenizers give ids other meanings
     */
    public CombinedModel combine(BaseModel base, ValueModel value) {
        Scheme scheme = value.scheme();
        if (scheme != Scheme.RESIDUAL) {
            throw new InvalidInputException("the value model was trained with the " + scheme.label() + " scheme, "
                    + (scheme == Scheme.CAUSAL_LM ? "as a plain language model, not as a value model"
                            : "so it needs the base's distribution as input: plug it in as a cascade model"
                                    + " (ivl-djl's PluggedModel does so from its ivl.json)"));
        }
        policy.check(base.vocabSize(), value.vocabSize());
        Optional<? extends TextTokenizer> baseTokens = base.tokenizer();
        Optional<? extends TextTokenizer> valueTokens = value.tokenizer();
        if (baseTokens.isPresent() && valueTokens.isPresent()) {
            TextTokenizer b = baseTokens.get();
            TextTokenizer v = valueTokens.get();
            int shared = policy == VocabularyPolicy.VALUE_PREFIX ? Math.min(b.vocabSize(), v.vocabSize())
                    : Math.max(b.vocabSize(), v.vocabSize());
            Vocabularies.difference(b, v, shared).ifPresent(d -> {
                throw new InvalidInputException("the base and value tokenizers differ (" + d + "): the value"
                        + " model's ids would be read as other tokens. Map the vocabularies with `ivl align-vocab`"
                        + " and combine through the map (CrossVocabularyModel)");
            });
        }
        return new CombinedModel(List.of(base, value), this);
    }

    @Override
    public int arity() {
        return 2;
    }

    @Override
    public int outputSize(int... vocabSizes) {
        policy.check(vocabSizes[0], vocabSizes[1]);
        return vocabSizes[0];
    }

    @Override
    public void combine(float[][] logits, float[] out) {
        float[] base = logits[0];
        float[] delta = logits[1];
        int shared = delta.length;
        if (alpha == 0f) {
            System.arraycopy(base, 0, out, 0, shared); // exactly z_base, even where z_delta is not finite
        } else {
            for (int i = 0; i < shared; i++) {
                out[i] = base[i] + alpha * delta[i];
            }
        }
        for (int i = shared; i < base.length; i++) {
            out[i] = Float.NEGATIVE_INFINITY; // base-only entries under VALUE_PREFIX
        }
    }
}
