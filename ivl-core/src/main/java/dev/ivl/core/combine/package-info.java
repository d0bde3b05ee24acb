/**
 * Combining models: the residual combination of inverse value learning ({@code z_base + α·z_delta}), proxy tuning,
 * and {@link dev.ivl.core.combine.CombinedModel}, which steps its models one after the other or concurrently.
 */
package dev.ivl.core.combine;
