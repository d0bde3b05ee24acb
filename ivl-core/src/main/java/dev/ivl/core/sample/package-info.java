/**
 * Logits processors (repetition penalty, temperature, top-k, top-p, min-p) and samplers (greedy, seeded
 * categorical). Each is a small type; implement {@link dev.ivl.core.sample.LogitsProcessor} or
 * {@link dev.ivl.core.sample.Sampler} to add your own.
 */
package dev.ivl.core.sample;
