/**
 * Int8 weights for CPU decoding: {@link dev.ivl.djl.quant.Int8Matrix} quantizes a weight matrix per output row
 * (symmetric, one float scale per row) and multiplies activations by it with a kernel written with Java's Vector
 * API, which needs the JVM option {@code --add-modules jdk.incubator.vector}.
 */
package dev.ivl.djl.quant;
