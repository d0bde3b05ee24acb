/**
 * Training data: {@link dev.ivl.djl.train.data.TrainingData} reads a JSONL file of conversations or instruction
 * pairs, renders each with a chat template and labels the assistant tokens; {@link dev.ivl.djl.train.data.Batcher}
 * shuffles the samples per epoch (seeded, reproducible) and packs them into rows
 * ({@link dev.ivl.djl.train.data.PackedBatch}) for the trainer.
 */
package dev.ivl.djl.train.data;
