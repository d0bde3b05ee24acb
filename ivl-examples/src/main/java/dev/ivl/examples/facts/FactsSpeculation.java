package dev.ivl.examples.facts;

import ai.djl.ndarray.types.DataType;
import dev.ivl.core.combine.Stepping;
import dev.ivl.core.generate.GenerationConfig;
import dev.ivl.core.text.TextTokenizer;
import dev.ivl.djl.llama.LlamaModel;
import dev.ivl.djl.llama.LoadOptions;
import dev.ivl.djl.plug.PlugOptions;
import dev.ivl.djl.plug.PluggedModel;
import dev.ivl.djl.vocab.CorpusTexts;
import dev.ivl.examples.bench.SpeculationBench;
import dev.ivl.examples.experiment.Experiment;
import dev.ivl.examples.experiment.ModelShape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Speculative decoding on the facts study's trained family ({@code ivl experiment --task facts --speculation}): the
 * small base S with the value model chosen on validation drafts for L with the same value model, and for XL, a larger
 * base pre-trained here with the study's recipe. Both are measured against plain combined decoding of the same
 * target, greedy and sampled, at k = 2, 4, 8, on the first sentences of pre-training passages, continued to a fixed
 * length. Writes {@code speculation.md} into the run folder.
 */
public final class FactsSpeculation {
    /** XL's peak learning rate (L's 3e-3 is too high for its width). */
    static final float XL_LEARNING_RATE = 2e-3f;
    private static final List<Integer> DRAFT_TOKENS = List.of(2, 4, 8);
    private static final List<Float> TEMPERATURES = List.of(0f, 0.7f);

    private FactsSpeculation() {}

    /**
     * @param config a scale
     * @return XL's shape at that scale: hidden 384, 6 layers for the reported run; twice L's width, one more layer
     *     for the others
     */
    static ModelShape extraLarge(FactsConfig config) {
        ModelShape l = config.large();
        return config.scale().equals("full") ? new ModelShape(384, 1024, 6)
                : new ModelShape(2 * l.hidden(), 2 * l.intermediate(), l.layers() + 1);
    }

    /**
     * Trains XL and measures.
     *
     * @param experiment the study, already run in {@code run}
     * @param run its folder
     * @param chosen the configuration chosen on validation ({@link FactsExperiment.Findings#chosen})
     * @param config its scale
     * @param progress receives one line per stage
     * @return the report's path
     */
    public static Path run(FactsExperiment experiment, Path run, String chosen, FactsConfig config,
            Consumer<String> progress) {
        boolean full = config.scale().equals("full");
        int prompts = full ? 12 : 4;
        int newTokens = full ? 96 : 24;
        int repetitions = full ? 3 : 1;
        Path xl = experiment.trainExtraLarge(extraLarge(config));
        FactsDemoExport.Choice choice = FactsDemoExport.choice(run, chosen, config);
        Path models = run.resolve("models");
        LoadOptions f32 = LoadOptions.builder().dtype(DataType.FLOAT32).build();
        PlugOptions plug = PlugOptions.builder().alpha(Float.parseFloat(choice.alpha())).stepping(Stepping.SEQUENTIAL)
                .build();
        StringBuilder md = new StringBuilder(String.format(Locale.ROOT, """
                # Speculative decoding on the facts family

                S + value drafts for L + value and for XL + value (XL: %s, pre-trained here with the study's recipe
                at learning rate %s), against plain combined decoding of the same target. The value model is the one
                chosen on validation (λ = %s, α = %s, seed %d). Prompts: the first sentences of the first %d
                pre-training passages, each continued for %d tokens (end of sequence ignored); f32; medians of %d
                repetitions after a warm-up, the modes interleaved; speed counts prefills.
                """, extraLarge(config), XL_LEARNING_RATE, choice.lambda(), choice.alpha(), config.seeds().get(0),
                prompts, newTokens, repetitions));
        try (LlamaModel s = LlamaModel.load(models.resolve("S"), f32);
                LlamaModel value = LlamaModel.load(choice.value(), f32)) {
            PluggedModel draft = PluggedModel.plug(s, value, plug);
            TextTokenizer tok = draft.tokenizer().orElseThrow();
            List<int[]> ids = new ArrayList<>();
            for (String text : CorpusTexts.read(List.of(run.resolve("data").resolve("pretrain.jsonl")), prompts,
                    List.of("text"))) {
                ids.add(tok.encode(text.split("\\. ")[0] + "."));
            }
            GenerationConfig generation = GenerationConfig.builder().maxNewTokens(newTokens).ignoreEos(true).build();
            for (String name : List.of("L", "XL")) {
                progress.accept("[speculation] S + value drafting for " + name + " + value");
                try (LlamaModel base = LlamaModel.load(name.equals("XL") ? xl : models.resolve(name), f32)) {
                    SpeculationBench.Result result = SpeculationBench.run(PluggedModel.plug(base, value, plug), draft,
                            ids, generation, DRAFT_TOKENS, TEMPERATURES, repetitions);
                    md.append("\n## S + value drafting for ").append(name).append(" + value\n\n")
                            .append(result.toText());
                }
            }
        }
        Path report = run.resolve("speculation.md");
        Experiment.write(report, md.toString());
        return report;
    }
}
