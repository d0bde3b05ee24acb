/** Tokenizers as seen by the core, and incremental decoding that only ever yields complete UTF-8 text. */
package dev.ivl.core.text;
