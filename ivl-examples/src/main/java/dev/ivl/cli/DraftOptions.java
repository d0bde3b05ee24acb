package dev.ivl.cli;

import dev.ivl.core.IllegalParameterException;
import dev.ivl.core.generate.Speculation;
import dev.ivl.core.model.LanguageModel;
import dev.ivl.djl.llama.LlamaModel;
import dev.ivl.djl.plug.PluggedModel;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Speculative decoding: a small base that, with the same value model, drafts for the model given. */
final class DraftOptions {
    @Option(names = "--draft", paramLabel = "DIR", description = "speculative decoding: this small base (for IVL, the "
            + "one the value model was trained next to) plus the same --value drafts tokens that the model checks in "
            + "one pass each round; same output, greedy token for token, sampled in distribution")
    Path draft;

    @Option(names = "--draft-tokens", paramLabel = "K",
            description = "with --draft: tokens drafted per round (default: " + DEFAULT_TOKENS + ")")
    Integer draftTokens;

    private static final int DEFAULT_TOKENS = 4;

    @Option(names = "--adaptive-draft", description = "with --draft: let K follow the acceptance (one more after a "
            + "round that kept every drafted token, one fewer after a rejection, between 1 and --draft-tokens)")
    boolean adaptive;

    /**
     * @return the speculation the options ask for, or null without {@code --draft}
     * @throws IllegalParameterException naming {@code --draft-tokens} when it is outside [1, 64], or an option that
     *     needs {@code --draft} without it
     */
    Speculation speculation() {
        if (draft == null) {
            if (draftTokens != null || adaptive) {
                throw new IllegalParameterException(draftTokens != null ? "--draft-tokens" : "--adaptive-draft",
                        draftTokens != null ? draftTokens : true, "needs --draft DIR");
            }
            return null;
        }
        return new Speculation(checkedTokens(draftTokens == null ? DEFAULT_TOKENS : draftTokens), adaptive);
    }

    /**
     * @param k a {@code --draft-tokens} value
     * @return k
     * @throws IllegalParameterException naming {@code --draft-tokens} when k is outside [1, 64]
     */
    static int checkedTokens(int k) {
        if (k < 1 || k > Speculation.MAX_DRAFT_TOKENS) {
            throw new IllegalParameterException("--draft-tokens", k, "must be in [1, " + Speculation.MAX_DRAFT_TOKENS
                    + "]");
        }
        return k;
    }

    /**
     * Loads the draft base as the target's base was loaded and plugs the target's value model into it, the one
     * value model instance serving both (it then runs once per token).
     *
     * @param dir the draft base's folder
     * @param base the target's base
     * @param pair the target's base with its value model, or null when the target is the base alone
     * @return the draft, which closes its base
     * @throws dev.ivl.core.InvalidInputException in one line if the draft's vocabulary is not the target's
     */
    static Draft load(Path dir, LlamaModel base, PluggedModel pair) {
        LlamaModel small = LlamaModel.load(dir, base.options());
        Cli.noteFloat32Weights(small);
        try {
            LanguageModel target = pair != null ? pair : base;
            Speculation.requireOneVocabulary(small, target.vocabSize(), target.tokenizer().orElse(null));
            return new Draft(small, pair == null ? small : PluggedModel.plug(small, pair.value(), pair.options()));
        } catch (RuntimeException e) {
            small.close();
            throw e;
        }
    }

    /**
     * A loaded draft.
     *
     * @param base the small base, owned
     * @param model the model that drafts: the base, or the base with the target's value model
     */
    record Draft(LlamaModel base, LanguageModel model) implements AutoCloseable {
        @Override
        public void close() {
            base.close();
        }
    }
}
