/**
 * LLaMA-family causal language models ({@code LlamaForCausalLM}) from Hugging Face checkpoints on DJL's PyTorch
 * engine. {@link dev.ivl.djl.llama.LlamaModel} holds the immutable weights and serves as base or value model;
 * {@link dev.ivl.djl.llama.LlamaSession} holds one sequence's KV cache. The forward pass is one small type per
 * concept — {@code RmsNorm}, {@code RotaryEmbedding}, {@code Attention}, {@code Mlp}, {@code DecoderLayer} — each
 * commented against HF {@code modeling_llama.py}.
 */
package dev.ivl.djl.llama;
