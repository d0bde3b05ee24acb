package dev.ivl.core.combine;

import dev.ivl.core.InvalidInputException;
import dev.ivl.core.IllegalParameterException;
import dev.ivl.core.model.BaseModel;
import dev.ivl.core.model.LanguageModel;
import java.util.List;

/**
 * Proxy tuning (Liu et al., 2024), the baseline IVL is compared with: {@code z = z_base + α·(z_expert −
 * z_antiexpert)}, where the expert is a small tuned model and the anti-expert the same small model untuned. Inputs
 * are {@code [z_base, z_expert, z_antiexpert]}; all three vocabularies must have the same size.
 *
 * @param alpha the weight α of the expert/anti-expert difference; finite
 */
public record ProxyTuningCombiner(float alpha) implements LogitsCombiner {
    /** Validates α. */
    public ProxyTuningCombiner {
        if (!Float.isFinite(alpha)) {
            throw new IllegalParameterException("alpha", alpha, "must be finite");
        }
    }

    /**
     * @param base the large base model
     * @param expert the small tuned model
     * @param antiExpert the small untuned model
     * @return a model whose logits are {@code z_base + α·(z_expert − z_antiexpert)}
     */
    public CombinedModel combine(BaseModel base, LanguageModel expert, LanguageModel antiExpert) {
        return new CombinedModel(List.of(base, expert, antiExpert), this);
    }

    @Override
    public int arity() {
        return 3;
    }

    @Override
    public int outputSize(int... vocabSizes) {
        if (vocabSizes[1] != vocabSizes[0] || vocabSizes[2] != vocabSizes[0]) {
            throw new InvalidInputException("vocabulary mismatch: proxy tuning needs equal sizes, got base "
                    + vocabSizes[0] + ", expert " + vocabSizes[1] + ", anti-expert " + vocabSizes[2]);
        }
        return vocabSizes[0];
    }

    @Override
    public void combine(float[][] logits, float[] out) {
        float[] base = logits[0];
        float[] expert = logits[1];
        float[] anti = logits[2];
        if (alpha == 0f) {
            System.arraycopy(base, 0, out, 0, out.length); // exactly z_base
            return;
        }
        for (int i = 0; i < out.length; i++) {
            out[i] = base[i] + alpha * (expert[i] - anti[i]);
        }
    }
}
