package dev.ivl.cli;

import dev.ivl.core.combine.VocabularyPolicy;
import dev.ivl.core.vocab.SamplingVocabulary;
import dev.ivl.djl.llama.IvlManifest;
import dev.ivl.djl.plug.PlugOptions;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The value model and how it is plugged in, shared by {@code generate} and {@code chat}. */
final class ValueOptions {
    @Option(names = "--value", description = "value model folder (its logits are z_delta); its ivl.json says how it"
            + " was trained (residual or cascade)")
    Path value;

    @Option(names = "--alpha", description = "weight of the value model; 0 = the base alone (default: the alpha the "
            + "value model's ivl.json records, else 1)")
    Float alpha;

    @Option(names = "--vocab-policy", defaultValue = "exact", description = "exact, or value-prefix when the value"
            + " vocabulary is a prefix of the base's (default: ${DEFAULT-VALUE})")
    String vocabPolicy;

    @Option(names = "--vocab-map", description = "a map from `ivl align-vocab`, for a value model with another"
            + " tokenizer (each folder holds its own tokenizer.json)")
    Path vocabMap;

    @Option(names = "--sample-in", defaultValue = "value", description = "with --vocab-map: sample in the value"
            + " vocabulary (the paper's eq. 5) or the base one, where --alpha 0 gives the base's text"
            + " (default: ${DEFAULT-VALUE})")
    String sampleIn;

    @Option(names = "--trust-token-ids", description = "combine even if the two tokenizers differ (refused by"
            + " default: ids would mean other tokens)")
    boolean trustTokenIds;

    /** @return {@code --alpha}, else the α the value folder's ivl.json records (a demo's, chosen on validation), else 1 */
    float alpha() {
        if (alpha != null) {
            return alpha;
        }
        return value == null ? 1f : recordedAlpha(value);
    }

    /**
     * @param valueDir a value model folder
     * @return the α its {@code ivl.json} records, else 1
     */
    static float recordedAlpha(Path valueDir) {
        return IvlManifest.read(valueDir).map(IvlManifest::alpha).orElse(1f);
    }

    /**
     * @param steps the stepping and thread budget, once configured
     * @param models how to load the models
     * @return the options that plug the value model in
     */
    PlugOptions toPlugOptions(StepOptions steps, ModelOptions models) {
        return PlugOptions.builder().alpha(alpha()).stepping(steps.stepping()).threads(steps.budget())
                .vocabularyPolicy(Cli.enumOption("--vocab-policy", vocabPolicy, VocabularyPolicy.class))
                .vocabularyMap(vocabMap)
                .samplingVocabulary(Cli.enumOption("--sample-in", sampleIn, SamplingVocabulary.class))
                .trustTokenIds(trustTokenIds).load(models.toLoadOptions()).build();
    }
}
