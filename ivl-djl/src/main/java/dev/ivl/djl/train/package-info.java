/**
 * Value-model training by inverse value learning: {@link dev.ivl.djl.train.IvlTrainer} fits a value model next to
 * frozen base models so that {@code softmax(stop_gradient(z_base) + z_delta)} fits demonstrations, configured by
 * {@link dev.ivl.djl.train.TrainConfig}. Data loading and packing are in {@code dev.ivl.djl.train.data}.
 */
package dev.ivl.djl.train;
