/**
 * Decoding with a base model and a value model whose tokenizers differ: a
 * {@link dev.ivl.core.vocab.CrossVocabularyModel} decodes with both models through a sparse token map W
 * ({@link dev.ivl.core.vocab.TokenMap}), keeping the model that does not sample in step with the text. The map is
 * built by {@link dev.ivl.core.vocab.align}. Engine-free and tokenizer-agnostic: token strings come from
 * {@link dev.ivl.core.text.TextTokenizer#tokenString}, read under a detected
 * {@link dev.ivl.core.vocab.TokenizerProfile}.
 */
package dev.ivl.core.vocab;
