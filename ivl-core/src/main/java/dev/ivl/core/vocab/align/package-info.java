/**
 * Building the token map between two tokenizers: a {@link dev.ivl.core.vocab.align.VocabularyAligner} aligns a
 * corpus tokenised both ways by dynamic time warping and counts the aligned token pairs
 * ({@link dev.ivl.core.vocab.align.PairCounts}); a {@link dev.ivl.core.vocab.align.Normalization} turns them into
 * the {@link dev.ivl.core.vocab.TokenMap} that {@link dev.ivl.core.vocab.CrossVocabularyModel} decodes through.
 */
package dev.ivl.core.vocab.align;

import dev.ivl.core.vocab.CrossVocabularyModel;
import dev.ivl.core.vocab.TokenMap;
