package dev.ivl.core.generate;

import dev.ivl.core.InvalidInputException;
import dev.ivl.core.IllegalParameterException;
import dev.ivl.core.model.LanguageModel;
import dev.ivl.core.model.Session;
import dev.ivl.core.text.TextTokenizer;
import dev.ivl.core.text.Vocabularies;
import java.util.BitSet;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Function;
import java.util.function.IntFunction;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * The decoding loop: prefill a session with the prompt, then repeatedly take the next-token logits, run the
 * {@linkplain GenerationConfig#logitsProcessors() processors}, sample, stream the token and feed it back, until a
 * stop rule ends it. Works with any {@link LanguageModel}, a combined base + value model included. Thread-safe:
 * each call opens its own session.
 */
public final class Generator {
    private final LanguageModel model;
    private final TextTokenizer tokenizer;
    /** Drafts for the model when set ({@link #withDraft}); else null. */
    private final Speculative speculative;

    /**
     * A generator that decodes with the model's own {@linkplain LanguageModel#tokenizer() tokenizer}, if it knows
     * one; without a tokenizer, prompts are token ids, results have no text and stop strings are not available.
     *
     * @param model the model to decode with
     */
    public Generator(LanguageModel model) {
        this(model, null);
    }

    /**
     * @param model the model to decode with
     * @param tokenizer the tokenizer of the model's vocabulary, or null for the model's own (if it knows one)
     * @throws InvalidInputException if the model knows its tokenizer and the one given gives ids other meanings
     *     (a cross-vocabulary model samples in one vocabulary: its tokenizer is the only right one)
     */
    public Generator(LanguageModel model, TextTokenizer tokenizer) {
        this.model = model;
        Optional<? extends TextTokenizer> own = model.tokenizer();
        if (tokenizer != null && own.isPresent()) {
            TextTokenizer o = own.get();
            Vocabularies.difference(o, tokenizer, Math.max(o.vocabSize(), tokenizer.vocabSize())).ifPresent(d -> {
                throw new InvalidInputException("the tokenizer given is not the one the model samples in (" + d
                        + "): give the model's own, or none and the generator takes it from the model");
            });
        }
        this.tokenizer = tokenizer != null ? tokenizer : own.orElse(null);
        this.speculative = null;
    }

    private Generator(Generator of, Speculative speculative) {
        this.model = of.model;
        this.tokenizer = of.tokenizer;
        this.speculative = speculative;
    }

    /**
     * A generator that decodes speculatively: {@code draft} proposes tokens, this generator's model (the target)
     * checks them in one pass each round, and the tokens are those plain decoding with the target gives, greedy
     * token for token, sampled in distribution (see {@link GenerationResult#speculation()} for what it did). For
     * IVL the natural draft is the small base the value model was trained with, plus the same value model: when both
     * models are {@linkplain dev.ivl.core.combine.Combination combinations} that share the value model, it runs once
     * per token for both. Requests must use the greedy or the categorical sampler. {@link #generate(PrefixSession,
     * int[], GenerationConfig, TokenListener, CancellationToken) Kept sessions} decode without the draft.
     *
     * @param draft the draft model, in the target's vocabulary
     * @param speculation how many tokens to draft per round
     * @return a generator with that draft; this one is unchanged
     * @throws InvalidInputException if the draft's vocabulary size or tokenizer differs from the model's
     */
    public Generator withDraft(LanguageModel draft, Speculation speculation) {
        Objects.requireNonNull(speculation, "speculation");
        Speculation.requireOneVocabulary(draft, model.vocabSize(), tokenizer);
        return new Generator(this, new Speculative(draft, model, speculation));
    }

    /** @return the tokenizer prompts are encoded and tokens decoded with, if any */
    public Optional<TextTokenizer> tokenizer() {
        return Optional.ofNullable(tokenizer);
    }

    /**
     * Encodes the prompt with the tokenizer (adding its special tokens) and generates.
     *
     * @param prompt the prompt text
     * @param config how to generate
     * @param listener receives the text as it is generated
     * @return the result
     */
    public GenerationResult generate(String prompt, GenerationConfig config, TokenListener listener) {
        if (tokenizer == null) {
            throw new InvalidInputException("a text prompt needs a tokenizer; give token ids instead");
        }
        return generate(tokenizer.encode(prompt), config, listener, new CancellationToken());
    }

    /**
     * @param prompt the prompt text
     * @param config how to generate
     * @return the result
     */
    public GenerationResult generate(String prompt, GenerationConfig config) {
        return generate(prompt, config, TokenListener.NONE);
    }

    /**
     * Generates after the given prompt tokens.
     *
     * @param prompt at least one token id, each in {@code [0, vocabSize)}, at most {@code maxSequenceLength}
     * @param config how to generate
     * @param listener receives tokens and complete text pieces as they are generated
     * @param cancellation lets another thread end the generation
     * @return the result
     * @throws InvalidInputException for an empty or too long prompt or an id out of range
     * @throws IllegalParameterException for stop strings without a tokenizer
     */
    public GenerationResult generate(
            int[] prompt, GenerationConfig config, TokenListener listener, CancellationToken cancellation) {
        checkRequest(prompt, config);
        if (speculative != null) {
            return report(listener, () -> speculative.decode(prompt, newDecoding(prompt, config, listener,
                    cancellation)));
        }
        try (Session session = model.newSession()) {
            return run(prompt, session::append, session::append, session::position, config, listener, cancellation);
        }
    }

    /**
     * Generates in a session the caller keeps across generations: the prompt's longest prefix that the session
     * already holds is not run again (a conversation's earlier turns, a shared system prompt).
     *
     * @param session a session of this generator's model
     * @param prompt the whole prompt, at least one token
     * @param config how to generate
     * @param listener receives tokens and complete text pieces as they are generated
     * @param cancellation lets another thread end the generation
     * @return the result; its prefill time counts only the tokens that were run
     * @throws InvalidInputException for an empty or too long prompt or an id out of range
     */
    public GenerationResult generate(PrefixSession session, int[] prompt, GenerationConfig config,
            TokenListener listener, CancellationToken cancellation) {
        checkRequest(prompt, config);
        return run(prompt, session::prefill, session::append, session::position, config, listener, cancellation);
    }

    /**
     * Generates on an executor: the listener streams as the generation goes and hears its end
     * ({@link TokenListener#onComplete} or {@link TokenListener#onError}), and the future completes with the result
     * or the exception.
     *
     * @param prompt at least one token id
     * @param config how to generate
     * @param listener receives tokens, text, and the end, on the executor's thread
     * @param cancellation lets another thread end the generation (cancelling the future does not)
     * @param executor runs the generation
     * @return the result to come
     */
    public CompletableFuture<GenerationResult> generateAsync(int[] prompt, GenerationConfig config,
            TokenListener listener, CancellationToken cancellation, Executor executor) {
        int[] copy = prompt.clone();
        return CompletableFuture.supplyAsync(() -> generate(copy, config, listener, cancellation), executor);
    }

    private GenerationResult run(int[] prompt, Function<int[], float[]> prefill, IntFunction<float[]> step,
            IntSupplier position, GenerationConfig config, TokenListener listener, CancellationToken cancellation) {
        return report(listener, () -> decode(prompt, prefill, step, position, config, listener, cancellation));
    }

    /** Runs a generation and tells the listener how it ended. */
    private static GenerationResult report(TokenListener listener, Supplier<GenerationResult> generation) {
        GenerationResult result;
        try {
            result = generation.get();
        } catch (RuntimeException e) {
            listener.onError(e);
            throw e;
        }
        listener.onComplete(result);
        return result;
    }

    private GenerationResult decode(int[] prompt, Function<int[], float[]> prefill, IntFunction<float[]> step,
            IntSupplier position, GenerationConfig config, TokenListener listener, CancellationToken cancellation) {
        Decoding decoding = newDecoding(prompt, config, listener, cancellation);
        long start = System.nanoTime();
        float[] logits = prefill.apply(prompt);
        decoding.prefilled(start);
        for (int token = decoding.next(logits, position.getAsInt()); token >= 0;
                token = decoding.next(logits, position.getAsInt())) {
            logits = step.apply(token);
        }
        return decoding.result();
    }

    /** @return the decoding state of one request ({@link #checkRequest} first) */
    Decoding newDecoding(int[] prompt, GenerationConfig config, TokenListener listener,
            CancellationToken cancellation) {
        return new Decoding(model.vocabSize(), model.maxSequenceLength(), tokenizer, stopTokens(config), prompt,
                config, listener, cancellation);
    }

    /**
     * @throws InvalidInputException for an empty or too long prompt or an id out of range
     * @throws IllegalParameterException for stop strings without a tokenizer
     */
    void checkRequest(int[] prompt, GenerationConfig config) {
        if (!config.stopStrings().isEmpty() && tokenizer == null) {
            throw new IllegalParameterException("stopStrings", config.stopStrings(), "need a tokenizer");
        }
        if (prompt.length == 0) {
            throw new InvalidInputException("prompt is empty: give at least one token (e.g. the BOS token)");
        }
        if (prompt.length > model.maxSequenceLength()) {
            throw new InvalidInputException("prompt has " + prompt.length + " tokens, more than the model's context of "
                    + model.maxSequenceLength() + " (maxSequenceLength)");
        }
        for (int i = 0; i < prompt.length; i++) {
            if (prompt[i] < 0 || prompt[i] >= model.vocabSize()) {
                throw new InvalidInputException("prompt token " + i + " is " + prompt[i] + ", outside the vocabulary [0, "
                        + model.vocabSize() + ")");
            }
        }
    }

    private BitSet stopTokens(GenerationConfig config) {
        BitSet stop = new BitSet();
        config.stopTokenIds().forEach(stop::set);
        if (tokenizer != null && !config.ignoreEos()) {
            for (int id : tokenizer.eosTokenIds()) {
                stop.set(id);
            }
        }
        return stop;
    }
}
