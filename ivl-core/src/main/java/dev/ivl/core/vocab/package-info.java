/**
 * Vocabulary alignment: decoding with a base model and a value model whose tokenizers differ. A
 * {@link dev.ivl.core.vocab.VocabularyAligner} aligns a corpus tokenised both ways by dynamic time warping and counts
 * the aligned token pairs ({@link dev.ivl.core.vocab.PairCounts}); a {@link dev.ivl.core.vocab.Normalization} turns
 * them into a sparse token map W ({@link dev.ivl.core.vocab.TokenMap}); a
 * {@link dev.ivl.core.vocab.CrossVocabularyModel} decodes with both models through W, keeping the model that does
 * not sample in step with the text. Engine-free and tokenizer-agnostic: token strings come from
 * {@link dev.ivl.core.text.TextTokenizer#tokenString}, read under a detected
 * {@link dev.ivl.core.vocab.TokenizerProfile}.
 */
package dev.ivl.core.vocab;
