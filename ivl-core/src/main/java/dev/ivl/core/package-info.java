/**
 * ivl's engine-free API. Models are {@link dev.ivl.core.model.LanguageModel logit sources} with per-sequence
 * {@link dev.ivl.core.model.Session sessions}; {@link dev.ivl.core.combine combiners} merge a base model with a
 * value model (z_post = z_base + α·z_delta); {@link dev.ivl.core.sample processors and samplers} pick tokens; the
 * {@link dev.ivl.core.generate.Generator} runs the decoding loop. Errors are {@link dev.ivl.core.IvlException}s.
 *
 * <p>What a decoding user needs, all of it:
 *
 * <ul>
 *   <li>{@link dev.ivl.core.model.LanguageModel}, {@link dev.ivl.core.model.BaseModel},
 *       {@link dev.ivl.core.model.ValueModel} (with its {@link dev.ivl.core.model.Scheme}),
 *       {@link dev.ivl.core.model.Session};
 *   <li>{@link dev.ivl.core.combine.ResidualCombiner} and {@link dev.ivl.core.combine.CombinedModel} (with
 *       {@link dev.ivl.core.combine.Stepping} and {@link dev.ivl.core.combine.VocabularyPolicy}), or
 *       {@link dev.ivl.core.vocab.CrossVocabularyModel} across two tokenizers;
 *   <li>{@link dev.ivl.core.generate.Generator}, {@link dev.ivl.core.generate.GenerationConfig} (greedy by default;
 *       the order logits processors run in), {@link dev.ivl.core.generate.TokenListener},
 *       {@link dev.ivl.core.generate.GenerationResult}, {@link dev.ivl.core.generate.PrefixSession} for a session
 *       kept across generations, {@link dev.ivl.core.generate.CancellationToken};
 *   <li>{@link dev.ivl.core.sample.LogitsProcessor} and {@link dev.ivl.core.sample.TokenHistory} for hooks;
 *   <li>{@link dev.ivl.core.text.TextTokenizer};
 *   <li>the exceptions {@link dev.ivl.core.InvalidInputException}, {@link dev.ivl.core.IllegalParameterException},
 *       {@link dev.ivl.core.ModelFormatException}.
 * </ul>
 *
 * The rest serves vocabulary alignment ({@code dev.ivl.core.vocab}) and the other modules;
 * {@code dev.ivl.core.internal} is not API.
 */
package dev.ivl.core;
