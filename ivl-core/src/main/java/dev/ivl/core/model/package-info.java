/** Models as sources of next-token logits, with per-sequence sessions. */
package dev.ivl.core.model;
