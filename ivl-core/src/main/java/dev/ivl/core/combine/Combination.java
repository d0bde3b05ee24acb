package dev.ivl.core.combine;

import java.util.Optional;

/**
 * A model that decodes a {@link CombinedModel}'s combination, in its own way or as it is. Speculative decoding reads
 * it to run a part that the draft and the target share (one value model plugged into two bases) once per token.
 */
public interface Combination {
    /** @return the combination this model decodes, or empty when it decodes none (a cascade, say) */
    Optional<CombinedModel> combination();
}
