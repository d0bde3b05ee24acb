/** Helpers ivl-djl's packages share: not API, they may change in any release. */
package dev.ivl.djl.internal;
