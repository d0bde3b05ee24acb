package dev.ivl.core.generate;

import dev.ivl.core.model.LanguageModel;
import dev.ivl.core.model.Session;
import java.util.Arrays;

/**
 * A session kept across generations, which remembers the tokens it holds so that the next prompt re-uses the
 * longest prefix it shares with them: turn n of a conversation re-reads only what turn n−1 did not already hold.
 * Give it to {@link Generator#generate(PrefixSession, int[], GenerationConfig, TokenListener, CancellationToken)}.
 * Not thread-safe: one generation at a time.
 */
public final class PrefixSession implements AutoCloseable {
    private final Session session;
    private int[] tokens = new int[64];
    private int size;
    private long reused;
    private long fed;

    /** @param model the model whose session is kept; the caller closes this object, then the model */
    public PrefixSession(LanguageModel model) {
        this.session = model.newSession();
    }

    /**
     * Brings the session to {@code prompt}: rewinds it to the longest prefix it shares with the tokens it holds
     * (leaving at least one token to feed, for the logits) and appends the rest.
     *
     * @param prompt the whole prompt
     * @return the logits after its last token
     */
    float[] prefill(int[] prompt) {
        int common = 0;
        int limit = Math.min(size, prompt.length - 1);
        while (common < limit && tokens[common] == prompt[common]) {
            common++;
        }
        session.rewind(common);
        size = common;
        float[] logits = append(Arrays.copyOfRange(prompt, common, prompt.length));
        reused += common;
        fed += prompt.length - common;
        return logits;
    }

    /** Appends tokens, remembering them. */
    float[] append(int... ids) {
        float[] logits = session.append(ids);
        if (size + ids.length > tokens.length) {
            tokens = Arrays.copyOf(tokens, Math.max(size + ids.length, tokens.length * 2));
        }
        System.arraycopy(ids, 0, tokens, size, ids.length);
        size += ids.length;
        return logits;
    }

    /** @return the session's position: the tokens it holds */
    int position() {
        return session.position();
    }

    /** @return how many prompt tokens were found in the cache, over every generation so far */
    public long reusedTokens() {
        return reused;
    }

    /** @return how many prompt tokens had to be run through the model, over every generation so far */
    public long prefilledTokens() {
        return fed;
    }

    /** Frees the session. */
    @Override
    public void close() {
        session.close();
    }
}
