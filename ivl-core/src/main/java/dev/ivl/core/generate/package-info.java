/**
 * The generation loop: {@link dev.ivl.core.generate.GenerationConfig} in, streamed text and a
 * {@link dev.ivl.core.generate.GenerationResult} out, with stop tokens, stop strings, seeds and cancellation.
 */
package dev.ivl.core.generate;
