package dev.ivl.core.generate;

import dev.ivl.core.InvalidInputException;
import dev.ivl.core.sample.LogitsProcessor;
import dev.ivl.core.sample.Sampler;
import dev.ivl.core.sample.TokenHistory;
import dev.ivl.core.text.IncrementalDecoder;
import dev.ivl.core.text.TextTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * One sequence's decoding, a step at a time: given the logits after the last token, run the processors, sample,
 * stream the token and its text, and say whether a stop rule ended the sequence. {@link Generator} drives one;
 * {@link BatchGenerator} drives many, their models' steps batched. Not thread-safe.
 */
final class Decoding {
    private final int vocabSize;
    private final int maxSequenceLength;
    private final int[] prompt;
    private final GenerationConfig config;
    private final TokenListener listener;
    private final CancellationToken cancellation;
    private final BitSet stopTokens;
    private final List<LogitsProcessor> processors;
    private final Sampler sampler;
    private final long seed;
    private final RandomGenerator random;
    private final TokenHistory history;
    private final IncrementalDecoder decoder;
    private final StopStringMatcher stops;
    private final StringBuilder text;
    private final List<TokenLogprob> logprobs = new ArrayList<>();
    private int[] tokens;
    private double[] tokenMillis;
    private int count;
    private double prefillMillis;
    private long last;
    private FinishReason finish;

    /**
     * @param tokenizer decodes the tokens to text, or null (no text, no stop strings)
     * @param stopTokens the ids that end the sequence
     */
    Decoding(int vocabSize, int maxSequenceLength, TextTokenizer tokenizer, BitSet stopTokens, int[] prompt,
            GenerationConfig config, TokenListener listener, CancellationToken cancellation) {
        this.vocabSize = vocabSize;
        this.maxSequenceLength = maxSequenceLength;
        this.prompt = prompt;
        this.config = config;
        this.listener = listener;
        this.cancellation = cancellation;
        this.stopTokens = stopTokens;
        this.processors = config.logitsProcessors();
        this.sampler = config.effectiveSampler();
        this.seed = config.seed().orElseGet(() -> new SplittableRandom().nextLong());
        this.random = new SplittableRandom(seed);
        this.history = new TokenHistory(prompt);
        this.decoder = tokenizer == null ? null : tokenizer.newDecoder();
        this.stops = new StopStringMatcher(config.stopStrings());
        this.text = tokenizer == null ? null : new StringBuilder();
        this.tokens = new int[Math.min(config.maxNewTokens(), 256)]; // grown as needed: the limit may be huge
        this.tokenMillis = new double[tokens.length];
        this.last = System.nanoTime();
    }

    /** Records the prompt's prefill time, which ended now; the first token's time counts from here. */
    void prefilled(long startNanos) {
        last = System.nanoTime();
        prefillMillis = (last - startNanos) / 1e6;
    }

    /**
     * @param logits the model's logits after the last token (modified: the processors run on them)
     * @param position the session's length after the last token
     * @return the token to append next, or -1 when the sequence has ended ({@link #result()} is then ready)
     */
    int next(float[] logits, int position) {
        if (cancelled()) {
            return -1;
        }
        float[] modelLogits = config.logprobs() ? logits.clone() : null;
        process(logits, history);
        return accept(sampler.sample(logits, random), modelLogits, position);
    }

    /** @return whether the request was cancelled, which then ends the sequence */
    boolean cancelled() {
        if (cancellation.isCancelled()) {
            end(FinishReason.CANCELLED);
            return true;
        }
        return false;
    }

    /**
     * Runs the processors on logits, in place.
     *
     * @param history the tokens before the one these logits choose: this sequence's, or a copy that goes further
     */
    void process(float[] logits, TokenHistory history) {
        for (LogitsProcessor p : processors) {
            p.process(logits, history);
        }
    }

    /**
     * Takes a chosen token as the sequence's next: records and streams it, and applies the stop rules.
     *
     * @param token the token
     * @param modelLogits the model's logits it was chosen from, before the processors, when
     *     {@link GenerationConfig#logprobs()} asks for them (else null)
     * @param position the session's length before the token
     * @return the token, or -1 when the sequence has ended ({@link #result()} is then ready)
     */
    int accept(int token, float[] modelLogits, int position) {
        if (token < 0 || token >= vocabSize) {
            throw new InvalidInputException("sampler returned token " + token + ", outside [0, " + vocabSize + ")");
        }
        if (count == tokens.length) {
            tokens = Arrays.copyOf(tokens, (int) Math.min(config.maxNewTokens(), 2L * count));
            tokenMillis = Arrays.copyOf(tokenMillis, tokens.length);
        }
        tokens[count] = token;
        long now = System.nanoTime();
        tokenMillis[count++] = (now - last) / 1e6;
        last = now;
        if (modelLogits != null) {
            logprobs.add(TokenLogprob.of(modelLogits, token, config.topLogprobs()));
        }
        history.add(token);
        listener.onToken(token);
        if (stopTokens.get(token)) {
            return end(FinishReason.STOP_TOKEN);
        }
        if (decoder != null) {
            emit(stops.accept(decoder.push(token)));
            if (stops.matched()) {
                return end(FinishReason.STOP_STRING);
            }
        }
        if (count == config.maxNewTokens()) {
            return end(FinishReason.LENGTH);
        }
        if (position >= maxSequenceLength) {
            return end(FinishReason.CONTEXT_FULL);
        }
        return token;
    }

    /** @return the sequence's tokens so far, prompt first */
    TokenHistory history() {
        return history;
    }

    /** @return the sampler of the request */
    Sampler sampler() {
        return sampler;
    }

    /** @return the request's seeded random source */
    RandomGenerator random() {
        return random;
    }

    /** @return whether {@link #accept} wants the model's logits for log-probabilities */
    boolean wantsLogprobs() {
        return config.logprobs();
    }

    /** @return how many more tokens the request may generate */
    int remaining() {
        return config.maxNewTokens() - count;
    }

    /** @return whether the token ends the sequence */
    boolean isStopToken(int token) {
        return stopTokens.get(token);
    }

    private int end(FinishReason reason) {
        finish = reason;
        if (decoder != null && !stops.matched()) {
            emit(stops.accept(decoder.flush()));
            if (!stops.matched()) {
                emit(stops.finish());
            } else {
                finish = FinishReason.STOP_STRING;
            }
        }
        return -1;
    }

    /** @return whether a stop rule has ended the sequence */
    boolean ended() {
        return finish != null;
    }

    /** @return the result, once {@link #next} has returned -1 */
    GenerationResult result() {
        return result(null);
    }

    /**
     * @param speculation what speculative decoding did, or null when it did not run
     * @return the result, once {@link #next} or {@link #accept} has returned -1
     */
    GenerationResult result(SpeculationStats speculation) {
        return new GenerationResult(Arrays.copyOf(tokens, count), text == null ? null : text.toString(), finish,
                new Usage(prompt.length, count), new Timings(prefillMillis, Arrays.copyOf(tokenMillis, count)), seed,
                logprobs, Optional.ofNullable(speculation));
    }

    private void emit(String piece) {
        if (!piece.isEmpty()) {
            text.append(piece);
            listener.onText(piece);
        }
    }
}
