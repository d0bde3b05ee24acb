package dev.ivl.djl.train.data;

/**
 * One tokenized training example.
 *
 * @param tokens the rendered conversation's token ids, BOS included when the template or tokenizer adds it
 * @param target {@code target[i]} is true when token i is a label: an assistant token or the EOS closing an
 *     assistant turn (it is predicted from the tokens before it); prompt, system and padding tokens are false
 * @param source the example's 0-based line number in the data file
 */
public record Sample(int[] tokens, boolean[] target, int source) {}
