package dev.ivl.djl.train.data;

import dev.ivl.core.InvalidInputException;
import dev.ivl.core.text.TextTokenizer;
import dev.ivl.djl.tokenizer.ChatMessage;
import dev.ivl.djl.tokenizer.ChatTemplate;
import java.util.Arrays;
import java.util.List;

/**
 * Tokenizes a conversation with a chat template and marks its assistant tokens as labels.
 *
 * <p>An assistant message's tokens are found by rendering and tokenizing the conversation up to it (with the
 * generation prompt: where the assistant's reply starts at inference) and up to its end; both token sequences must
 * be prefixes of the whole conversation's tokens, otherwise the boundary cannot be placed exactly (the tokenizer
 * merges text across it) and the conversation is rejected rather than labelled approximately. Within that span the
 * labels run up to and including the last end-of-sequence token, so text the template adds after the EOS (such as
 * Zephyr's newline) is not learnt; a span without EOS is labelled whole.
 */
final class Labeller {
    private final TextTokenizer tokenizer;
    private final ChatTemplate template;
    private final int maxLength;
    /** The longest token string's length in characters; 0 if unknown. */
    private final int longestToken;
    private final int[] eosIds;

    /**
     * Skips a text too long for {@code maxLength} tokens before tokenizing it (a 50 MB line took 88 s to tokenize):
     * no token decodes to more characters than the longest token string, so a text longer than {@code maxLength}
     * such strings has more than {@code maxLength} tokens.
     */
    private void checkFits(String text) throws Unlabellable {
        if (longestToken > 0 && (long) text.length() > (long) maxLength * longestToken) {
            throw new Unlabellable(text.length() + " characters, more than " + maxLength + " tokens of at most "
                    + longestToken + " characters can spell: more than the maximum length " + maxLength);
        }
    }

    /** @return the longest token string of the vocabulary, or 0 if the tokenizer does not expose them */
    private static int longestToken(TextTokenizer tokenizer) {
        int longest = 0;
        for (int id = 0; id < tokenizer.vocabSize(); id++) {
            String s = tokenizer.tokenString(id);
            if (s != null) {
                longest = Math.max(longest, s.length());
            }
        }
        return longest;
    }

    Labeller(TextTokenizer tokenizer, ChatTemplate template, int maxLength) {
        this.tokenizer = tokenizer;
        this.template = template;
        this.maxLength = maxLength;
        this.longestToken = longestToken(tokenizer);
        this.eosIds = tokenizer.eosTokenIds();
    }

    /** A conversation that is valid data but cannot be labelled; the message says why. */
    static final class Unlabellable extends Exception {
        private static final long serialVersionUID = 1L;

        Unlabellable(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * @param messages the conversation
     * @param source the 0-based line number, stored in the sample
     * @return the tokenized, labelled sample
     * @throws Unlabellable if the template rejects the conversation, a boundary cannot be placed exactly, the
     *     sample is longer than the maximum, or it has no label
     */
    Sample label(List<ChatMessage> messages, int source) throws Unlabellable {
        String full = render(messages, messages.size(), false);
        checkFits(full);
        int[] tokens = tokenizer.encode(full, false); // the template renders the special tokens itself
        if (tokens.length > maxLength) {
            throw new Unlabellable(tokens.length + " tokens, more than the maximum length " + maxLength);
        }
        boolean[] target = new boolean[tokens.length];
        boolean anyAssistant = false;
        int previousEnd = 0;
        for (int k = 0; k < messages.size(); k++) {
            if (!messages.get(k).role().equals("assistant")) {
                continue;
            }
            anyAssistant = true;
            int start = boundary(full, tokens, render(messages, k, true), "start", k);
            int end = boundary(full, tokens, render(messages, k + 1, false), "end", k);
            if (start < previousEnd || end < start) {
                throw new Unlabellable("the rendered turns of messages[" + k + "] overlap the previous ones");
            }
            previousEnd = end;
            int stop = end;
            while (stop > start && !isEos(tokens[stop - 1])) {
                stop--;
            }
            int from = Math.max(start, 1); // the first token has nothing before it to be predicted from
            int to = stop > start ? stop : end;
            if (from < to) {
                Arrays.fill(target, from, to, true);
            }
        }
        if (!anyAssistant) {
            throw new Unlabellable("no assistant message: nothing to learn");
        }
        for (boolean t : target) {
            if (t) {
                return new Sample(tokens, target, source);
            }
        }
        throw new Unlabellable("its assistant messages render to no token that can be learnt");
    }

    /**
     * Labels a plain text for language modelling: it is encoded with the tokenizer's special tokens (BOS for
     * Llama-2) and every token after the first is a label.
     *
     * @param text the text
     * @param source the 0-based line number, stored in the sample
     * @return the tokenized sample
     * @throws Unlabellable if the sample is longer than the maximum or has fewer than two tokens
     */
    Sample labelText(String text, int source) throws Unlabellable {
        checkFits(text);
        int[] tokens = tokenizer.encode(text, true);
        if (tokens.length > maxLength) {
            throw new Unlabellable(tokens.length + " tokens, more than the maximum length " + maxLength);
        }
        if (tokens.length < 2) {
            throw new Unlabellable("the text encodes to " + tokens.length + " token(s): nothing to predict");
        }
        boolean[] target = new boolean[tokens.length];
        Arrays.fill(target, 1, tokens.length, true);
        return new Sample(tokens, target, source);
    }

    /** @return the number of tokens before the boundary, checked to be a prefix of {@code tokens} */
    private int boundary(String full, int[] tokens, String prefix, String which, int message) throws Unlabellable {
        if (!full.startsWith(prefix)) {
            throw new Unlabellable("the chat template does not render the conversation up to the " + which
                    + " of messages[" + message + "] as a prefix of the whole conversation");
        }
        int[] prefixTokens = tokenizer.encode(prefix, false);
        int n = prefixTokens.length;
        int same = 0;
        while (same < n && same < tokens.length && prefixTokens[same] == tokens[same]) {
            same++;
        }
        if (same < n) {
            throw new Unlabellable("the tokens at the " + which + " of messages[" + message
                    + "] merge across the boundary (the prefix tokenizes differently from token " + same
                    + " on), so the assistant tokens cannot be told apart exactly");
        }
        return n;
    }

    private String render(List<ChatMessage> messages, int count, boolean generationPrompt) throws Unlabellable {
        if (count == 0) {
            throw new Unlabellable("messages[0] is an assistant message: there is no prompt to learn it from");
        }
        try {
            return template.render(messages.subList(0, count), generationPrompt);
        } catch (InvalidInputException e) {
            throw new Unlabellable("the chat template rejects it: " + e.getMessage());
        }
    }

    private boolean isEos(int id) {
        for (int eos : eosIds) {
            if (eos == id) {
                return true;
            }
        }
        return false;
    }
}
