/**
 * Matrix products in Java for CPU inference, written with Java's Vector API (the JVM option
 * {@code --add-modules jdk.incubator.vector}): {@link dev.ivl.djl.quant.Int8Matrix} quantizes a weight matrix per output
 * row (symmetric, one float scale per row) and multiplies by it; {@link dev.ivl.djl.quant.FloatMatrix} multiplies by
 * float32 or float16 weights that the engine holds, reading its memory in place.
 */
package dev.ivl.djl.quant;
