/**
 * Plugging a value model into a base model in one call: {@link dev.ivl.djl.plug.PluggedModel} reads what the value
 * model's folder records and returns the combination that decodes it right.
 */
package dev.ivl.djl.plug;
