/**
 * Which PyTorch native DJL loaded, from where, and whether it can run on CUDA. {@link dev.ivl.djl.engine.EngineDetector}
 * gathers the {@link dev.ivl.djl.engine.EngineFacts}; {@link dev.ivl.djl.engine.Diagnosis} turns facts into one
 * verdict line ("CUDA ready: 2 GPU(s)" or "CPU only, because ..."), the same line {@code ivl doctor} prints and
 * {@link dev.ivl.djl.llama.LoadOptions} throws when a GPU is asked for and cannot be had.
 */
package dev.ivl.djl.engine;
