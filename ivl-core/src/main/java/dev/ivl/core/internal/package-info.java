/** Helpers that ivl's modules share and applications should not use: not API, they may change in any release. */
package dev.ivl.core.internal;
