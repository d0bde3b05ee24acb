/**
 * Checkpoint weights in the safetensors format: {@link dev.ivl.djl.weights.SafetensorsCheckpoint} reads single-file
 * and sharded Hugging Face checkpoints into engine arrays (converting F16 and BF16 in Java, since the engine cannot
 * hold bfloat16), and {@link dev.ivl.djl.weights.SafetensorsWriter} writes them.
 */
package dev.ivl.djl.weights;
