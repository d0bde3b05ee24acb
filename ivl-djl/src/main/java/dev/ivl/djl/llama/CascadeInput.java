package dev.ivl.djl.llama;

import ai.djl.ndarray.NDArray;

/**
 * The input of a value model under the cascade scheme: the base model's next-token distribution at each position,
 * fed through the value model's own embedding matrix, {@code h₀ = p_base·W_e + embed(x)}, or without the text
 * embedding, {@code h₀ = p_base·W_e}.
 *
 * @param probabilities {@code softmax(z_base)} at each row, {@code [T, vocabSize]}, treated as constants
 * @param withText whether the token embeddings are added
 */
public record CascadeInput(NDArray probabilities, boolean withText) {}
