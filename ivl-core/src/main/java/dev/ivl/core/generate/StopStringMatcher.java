package dev.ivl.core.generate;

import java.util.List;

/**
 * Finds stop strings in streamed text. Text that might still turn into a stop string is held back; everything
 * else is released. Once a stop string is found, the text before it is released and nothing after.
 */
final class StopStringMatcher {
    private final List<String> stops;
    private final StringBuilder pending = new StringBuilder();
    private boolean matched;

    StopStringMatcher(List<String> stops) {
        this.stops = stops;
    }

    /**
     * @param piece newly decoded text
     * @return the text that can be released now
     */
    String accept(String piece) {
        if (matched) {
            return "";
        }
        pending.append(piece);
        int earliest = -1;
        for (String stop : stops) {
            int at = pending.indexOf(stop);
            if (at >= 0 && (earliest < 0 || at < earliest)) {
                earliest = at;
            }
        }
        if (earliest >= 0) {
            matched = true;
            String out = pending.substring(0, earliest);
            pending.setLength(0);
            return out;
        }
        int release = pending.length() - longestSuffixThatStartsAStop();
        String out = pending.substring(0, release);
        pending.delete(0, release);
        return out;
    }

    /** @return whether a stop string was found */
    boolean matched() {
        return matched;
    }

    /** @return the held-back text, at the end of generation */
    String finish() {
        String out = pending.toString();
        pending.setLength(0);
        return out;
    }

    private int longestSuffixThatStartsAStop() {
        String text = pending.toString();
        int best = 0;
        for (String stop : stops) {
            for (int len = Math.min(stop.length() - 1, text.length()); len > best; len--) {
                if (text.regionMatches(text.length() - len, stop, 0, len)) {
                    best = len;
                    break;
                }
            }
        }
        return best;
    }
}
