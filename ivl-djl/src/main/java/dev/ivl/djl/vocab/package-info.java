/**
 * Vocabulary maps for Hugging Face tokenizers: {@link dev.ivl.djl.vocab.VocabularyMaps} builds a token alignment
 * between two {@link dev.ivl.djl.tokenizer.HfTokenizer}s with the core aligner and checks a map against the
 * tokenizers it is used with (by the SHA-256 of their {@code tokenizer.json});
 * {@link dev.ivl.djl.vocab.VocabularyMapFile} saves and loads it as a safetensors file of CSR arrays;
 * {@link dev.ivl.djl.vocab.CorpusTexts} reads corpus files.
 */
package dev.ivl.djl.vocab;
