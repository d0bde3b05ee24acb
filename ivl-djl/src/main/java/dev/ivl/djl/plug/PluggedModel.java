package dev.ivl.djl.plug;

import dev.ivl.core.InvalidInputException;
import dev.ivl.core.combine.Combination;
import dev.ivl.core.combine.CombinedModel;
import dev.ivl.core.combine.ResidualCombiner;
import dev.ivl.core.combine.Stepping;
import dev.ivl.core.combine.VocabularyPolicy;
import dev.ivl.core.generate.GenerationConfig;
import dev.ivl.core.model.BatchStepping;
import dev.ivl.core.model.LanguageModel;
import dev.ivl.core.model.Scheme;
import dev.ivl.core.model.Session;
import dev.ivl.core.text.TextTokenizer;
import dev.ivl.core.text.Vocabularies;
import dev.ivl.core.vocab.CrossVocabularyModel;
import dev.ivl.core.vocab.SamplingVocabulary;
import dev.ivl.core.vocab.TokenMap;
import dev.ivl.djl.llama.CascadeModel;
import dev.ivl.djl.llama.IvlManifest;
import dev.ivl.djl.llama.LlamaCombinedModel;
import dev.ivl.djl.llama.LlamaModel;
import dev.ivl.djl.tokenizer.ChatTemplate;
import dev.ivl.djl.tokenizer.HfTokenizer;
import dev.ivl.djl.vocab.VocabularyMaps;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A value model plugged into a base model the way it was trained to be, from one call. The value folder's
 * {@code ivl.json} decides the combination:
 *
 * <ul>
 *   <li>{@link Scheme#RESIDUAL} (or no {@code ivl.json}): {@code z_base + α·z_delta}, both forward passes at once
 *       ({@link LlamaCombinedModel}); with a {@linkplain PlugOptions#vocabularyMap() vocabulary map}, across two
 *       tokenizers ({@link CrossVocabularyModel});
 *   <li>{@link Scheme#CASCADE} and {@link Scheme#CASCADE_NO_TEXT}: the value model reads the base's distribution
 *       ({@link CascadeModel}, with or without the text as recorded);
 *   <li>{@link Scheme#CAUSAL_LM}: refused, as the folder holds a plain language model.
 * </ul>
 *
 * Without a map, the two tokenizers must give every id the same token (checked on their {@code tokenizer.json},
 * else on the vocabulary {@code ivl.json} records); a pair that differs is refused with a pointer to
 * {@code ivl align-vocab}, unless {@link PlugOptions#trustTokenIds()}.
 *
 * <p>α = 0 gives the base's own logits, and so its text, in every combination but one: through a vocabulary map
 * sampling in the value vocabulary, the logits are the base's carried through the map ({@code z_base·W}), which
 * is not the base's text; sample in {@link SamplingVocabulary#BASE} for that.
 *
 * <pre>{@code
 * try (PluggedModel model = PluggedModel.load(Path.of("Llama-2-7b-hf"), Path.of("ivl-value"),
 *         PlugOptions.builder().alpha(1f).build())) {
 *     GenerationResult r = new Generator(model).generate("Tell me about the moon.", model.generationConfig());
 * }
 * }</pre>
 *
 * Thread-safe as its parts are; {@link #close()} frees the models only when {@link #load} loaded them.
 */
public final class PluggedModel implements LanguageModel, BatchStepping, Combination, AutoCloseable {
    /** The combination a {@link PluggedModel} decodes with. */
    public enum Kind {
        /** {@code z_base + α·z_delta} in one vocabulary. */
        RESIDUAL,
        /** The value model reads the base's distribution. */
        CASCADE,
        /** {@code z_base + α·z_delta} across two tokenizers, through a vocabulary map. */
        CROSS_VOCABULARY
    }

    private final LlamaModel base;
    private final LlamaModel value;
    private final PlugOptions options;
    private final Kind kind;
    private final TokenMap map;
    private final LanguageModel combined;
    private final boolean owned;

    private PluggedModel(LlamaModel base, LlamaModel value, PlugOptions options, Kind kind, TokenMap map,
            boolean owned) {
        this.base = base;
        this.value = value;
        this.options = options;
        this.kind = kind;
        this.map = map;
        this.owned = owned;
        this.combined = switch (kind) {
            case CASCADE -> new CascadeModel(base, value, options.alpha());
            case CROSS_VOCABULARY -> CrossVocabularyModel.builder(base, base.tokenizer().orElseThrow(), value,
                    value.tokenizer().orElseThrow(), map).alpha(options.alpha())
                    .sampling(options.samplingVocabulary()).build();
            case RESIDUAL -> residual(base, value, options);
        };
    }

    /**
     * Loads a base and a value model and plugs them together; the result owns both and frees them on
     * {@link #close()}.
     *
     * @param baseDir the base model's folder
     * @param valueDir the value model's folder
     * @param options how to plug and load
     * @return the combination
     * @throws InvalidInputException if the pair cannot be combined right (see the class documentation)
     * @throws dev.ivl.core.ModelFormatException if a file of either folder is missing or corrupt
     */
    public static PluggedModel load(Path baseDir, Path valueDir, PlugOptions options) {
        LlamaModel base = LlamaModel.load(baseDir, options.load());
        LlamaModel value = null;
        try {
            value = LlamaModel.load(valueDir, options.load());
            return plug(base, value, options, true);
        } catch (RuntimeException e) {
            if (value != null) {
                value.close();
            }
            base.close();
            throw e;
        }
    }

    /**
     * Plugs loaded models together; the caller keeps owning them and closes them after the result's sessions.
     *
     * @param base the base model
     * @param value the value model, with the {@code ivl.json} of its folder if it had one
     * @param options how to plug ({@link PlugOptions#load()} is not used)
     * @return the combination
     * @throws InvalidInputException if the pair cannot be combined right (see the class documentation)
     */
    public static PluggedModel plug(LlamaModel base, LlamaModel value, PlugOptions options) {
        return plug(base, value, options, false);
    }

    private static PluggedModel plug(LlamaModel base, LlamaModel value, PlugOptions options, boolean owned) {
        Scheme scheme = value.scheme();
        if (scheme == Scheme.CAUSAL_LM) {
            throw new InvalidInputException(value.source() + " was trained as a plain language model (ivl.json scheme"
                    + " causal-lm), not as a value model: decode it on its own");
        }
        if (options.vocabularyMap() == null) {
            checkSameVocabulary(base, value, options);
            return new PluggedModel(base, value, options, scheme.cascade() ? Kind.CASCADE : Kind.RESIDUAL, null,
                    owned);
        }
        if (scheme.cascade()) {
            throw new InvalidInputException(value.source() + " was trained with the " + scheme.label() + " scheme,"
                    + " which needs the base's vocabulary: it cannot be plugged in through a vocabulary map");
        }
        HfTokenizer baseTokens = base.tokenizer().orElseThrow(() -> new InvalidInputException(
                "a vocabulary map needs the base's tokenizer: " + base.source() + " has no tokenizer.json"));
        HfTokenizer valueTokens = value.tokenizer().orElseThrow(() -> new InvalidInputException(
                "a vocabulary map needs the value model's tokenizer: " + value.source() + " has no tokenizer.json"));
        TokenMap map = VocabularyMaps.read(options.vocabularyMap(), baseTokens, valueTokens).map();
        return new PluggedModel(base, value, options, Kind.CROSS_VOCABULARY, map, owned);
    }

    /** Refuses a pair whose tokenizers give ids other meanings, unless told to trust them. */
    private static void checkSameVocabulary(LlamaModel base, LlamaModel value, PlugOptions options) {
        if (options.trustTokenIds()) {
            return;
        }
        Optional<HfTokenizer> b = base.tokenizer();
        Optional<HfTokenizer> v = value.tokenizer();
        boolean prefix = options.vocabularyPolicy() == VocabularyPolicy.VALUE_PREFIX;
        Optional<String> difference = Optional.empty();
        if (b.isPresent() && v.isPresent()) {
            int ids = prefix ? Math.min(b.get().vocabSize(), v.get().vocabSize())
                    : Math.max(b.get().vocabSize(), v.get().vocabSize());
            difference = Vocabularies.difference(b.get(), v.get(), ids);
        } else if (b.isPresent() && !prefix) {
            String recorded = value.manifest().map(IvlManifest::vocabulary).orElse(null);
            String actual = Vocabularies.fingerprint(b.get()).orElse(null);
            if (recorded != null && actual != null && !recorded.equals(actual)) {
                difference = Optional.of("the value model's ivl.json records the vocabulary " + recorded
                        + ", the base's is " + actual);
            }
        }
        difference.ifPresent(d -> {
            throw new InvalidInputException("the tokenizers of " + base.source() + " and " + value.source()
                    + " differ (" + d + "): the value model's ids would be read as other tokens. Map them with `ivl"
                    + " align-vocab --base " + base.source() + " --value " + value.source() + " --out MAP` and plug"
                    + " in through the map (PlugOptions.vocabularyMap, --vocab-map), or trust the ids if you know"
                    + " they agree (PlugOptions.trustTokenIds)");
        });
    }

    private static LanguageModel residual(LlamaModel base, LlamaModel value, PlugOptions options) {
        ResidualCombiner combiner = new ResidualCombiner(options.alpha(), options.vocabularyPolicy());
        CombinedModel pair = options.trustTokenIds() ? new CombinedModel(List.of(base, value), combiner)
                : combiner.combine(base, value);
        Stepping stepping = options.stepping() != null ? options.stepping()
                : LlamaCombinedModel.preferredStepping(List.of(base, value));
        if (LlamaCombinedModel.unsupportedReason(pair) == null) {
            return LlamaCombinedModel.of(pair).withStepping(stepping).withThreads(options.effectiveThreads());
        }
        return pair.withStepping(stepping);
    }

    /**
     * The same pair with another α, sharing the models (nothing is loaded or copied): for a request that wants its
     * own weight. The view never frees the models; close it or not, the original still owns them.
     *
     * @param alpha the weight α of the value model's logits; finite
     * @return the pair with that α
     */
    public PluggedModel withAlpha(float alpha) {
        return new PluggedModel(base, value, options.toBuilder().alpha(alpha).build(), kind, map, false);
    }

    /** @return the combination in use */
    public Kind kind() {
        return kind;
    }

    /** @return the options the pair was plugged with */
    public PlugOptions options() {
        return options;
    }

    /** @return the weight α of the value model's logits */
    public float alpha() {
        return options.alpha();
    }

    /** @return the base model */
    public LlamaModel base() {
        return base;
    }

    /** @return the value model */
    public LlamaModel value() {
        return value;
    }

    /** @return the residual combination it decodes; empty for a cascade or through a vocabulary map */
    @Override
    public Optional<CombinedModel> combination() {
        return combined instanceof Combination c ? c.combination() : Optional.empty();
    }

    /** @return the tokenizer of the vocabulary tokens are sampled in (the base's, or the map's sampling side) */
    @Override
    public Optional<? extends TextTokenizer> tokenizer() {
        return combined.tokenizer();
    }

    /**
     * The base's {@link LlamaModel#generationConfig()}: how its folder says to decode. Through a map sampling in the
     * value vocabulary, the stop ids are the value model's (ids of the vocabulary sampled in).
     *
     * @return the configuration
     */
    public GenerationConfig generationConfig() {
        GenerationConfig own = base.generationConfig();
        if (kind != Kind.CROSS_VOCABULARY || options.samplingVocabulary() == SamplingVocabulary.BASE) {
            return own;
        }
        GenerationConfig.Builder b = own.toBuilder().clearStopTokenIds();
        value.generationConfig().stopTokenIds().forEach(b::stopTokenIds);
        return b.build();
    }

    /**
     * The chat format to render conversations in: the template the value model's training data was rendered with
     * (its {@code ivl.json}), else the chat template of the sampling tokenizer's {@code tokenizer_config.json}, else
     * the built-in one named.
     *
     * @param fallbackName {@code llama2} or {@code zephyr}, for when nothing records a template
     * @return the template
     */
    public ChatTemplate chatTemplate(String fallbackName) {
        return value.recordedChatTemplate(fallbackName).orElseGet(() -> {
            HfTokenizer own = sampling();
            return own == null ? ChatTemplate.named(fallbackName) : ChatTemplate.forTokenizer(own, fallbackName);
        });
    }

    private HfTokenizer sampling() {
        boolean valueSide = kind == Kind.CROSS_VOCABULARY && options.samplingVocabulary() == SamplingVocabulary.VALUE;
        return (valueSide ? value : base).tokenizer().orElse(null);
    }

    @Override
    public int vocabSize() {
        return combined.vocabSize();
    }

    @Override
    public int maxSequenceLength() {
        return combined.maxSequenceLength();
    }

    @Override
    public Session newSession() {
        return combined.newSession();
    }

    /**
     * One token for each of several sessions of this pair (or of its {@link #withAlpha} views): in one batched pass
     * per model for the residual scheme on the device, one session after the other otherwise.
     */
    @Override
    public float[][] appendEach(List<? extends Session> sessions, int[] tokens) {
        return combined instanceof BatchStepping batched ? batched.appendEach(sessions, tokens)
                : BatchStepping.oneByOne(sessions, tokens);
    }

    /** Frees both models if {@link #load} loaded them; otherwise does nothing. */
    @Override
    public void close() {
        if (owned) {
            try {
                value.close();
            } finally {
                base.close();
            }
        }
    }

    @Override
    public String toString() {
        return "PluggedModel[" + kind + ", base " + base.source() + ", value " + value.source() + ", alpha "
                + options.alpha() + "]";
    }
}
