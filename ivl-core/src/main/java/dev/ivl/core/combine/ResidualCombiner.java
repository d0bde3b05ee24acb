package dev.ivl.core.combine;

import dev.ivl.core.InvalidParameterException;
import dev.ivl.core.model.BaseModel;
import dev.ivl.core.model.ValueModel;
import java.util.List;

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
            throw new InvalidParameterException("alpha", alpha, "must be finite");
        }
        if (policy == null) {
            throw new InvalidParameterException("policy", null, "must not be null");
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
     * Plugs a value model into a base model.
     *
     * @param base the base model
     * @param value the value model
     * @return a model whose logits are {@code z_base + α·z_delta}
     */
    public CombinedModel combine(BaseModel base, ValueModel value) {
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
