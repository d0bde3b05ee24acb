/**
 * {@code ivl serve}: an OpenAI-compatible HTTP server over one model, or one base with its value model. Requests
 * are answered one at a time, in order (a bounded queue; 429 when it is full); batching several sequences in one
 * forward pass is not built yet.
 */
package dev.ivl.examples.serve;
