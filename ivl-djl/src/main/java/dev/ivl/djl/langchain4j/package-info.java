/**
 * LangChain4j's {@code ChatModel} and {@code StreamingChatModel} over an ivl model, in process:
 * {@link dev.ivl.djl.langchain4j.IvlChatModel}. LangChain4j is an optional dependency of ivl-djl: add
 * {@code dev.langchain4j:langchain4j-core} to use this package; nothing else in ivl needs it.
 */
package dev.ivl.djl.langchain4j;
