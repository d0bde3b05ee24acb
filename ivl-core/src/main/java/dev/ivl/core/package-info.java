/**
 * ivl's engine-free API. Models are {@link dev.ivl.core.model.LanguageModel logit sources} with per-sequence
 * {@link dev.ivl.core.model.Session sessions}; {@link dev.ivl.core.combine combiners} merge a base model with a
 * value model (z_post = z_base + α·z_delta); {@link dev.ivl.core.sample processors and samplers} pick tokens; the
 * {@link dev.ivl.core.generate.Generator} runs the decoding loop. Errors are {@link dev.ivl.core.IvlException}s.
 */
package dev.ivl.core;
