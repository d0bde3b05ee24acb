/**
 * Hugging Face tokenizers and chat templates. {@link dev.ivl.djl.tokenizer.HfTokenizer} runs a local
 * {@code tokenizer.json} (with the model folder's {@code tokenizer_config.json} and {@code generation_config.json})
 * through DJL's binding of the native tokenizers library; {@link dev.ivl.djl.tokenizer.ChatTemplate} turns a
 * conversation into a prompt, with the tokenizer's own Jinja template rendered in a sandbox or a built-in format;
 * {@link dev.ivl.djl.tokenizer.WordTokenizerBuilder} builds a small word-level {@code tokenizer.json} from a corpus.
 */
package dev.ivl.djl.tokenizer;
