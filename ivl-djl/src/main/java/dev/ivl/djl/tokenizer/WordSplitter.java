package dev.ivl.djl.tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * The normalizer and pre-tokenizer that {@link WordVocabulary#tokenizerJson()} writes, done in Java, so that the words
 * counted for a vocabulary are the pieces the tokenizers library will look up. In the library's terms: a normalizer
 * that puts {@code ▁} after every tab and line break ({@code Replace}), then a pre-tokenizer {@code Sequence} of
 * {@code Metaspace} (replacement {@code ▁}, prepend scheme {@code always}, split), {@code Punctuation} (isolated) and
 * a {@code Split} isolating tabs and line breaks:
 * <ol>
 *   <li>every space becomes {@code ▁}, a {@code ▁} is put after every tab, line feed, vertical tab, form feed and
 *       carriage return (so the word after a line break is spelled as after a space), and a {@code ▁} before a text
 *       that does not start with one;</li>
 *   <li>the text is cut before every {@code ▁}, so a word carries the space before it ({@code ▁word}) and a space
 *       that no word follows is a lone {@code ▁};</li>
 *   <li>every punctuation character (ASCII punctuation, or a character of a Unicode punctuation category), tab and
 *       line break becomes a piece of its own: {@code Orlun.} is {@code ▁Orlun} and {@code .}.</li>
 * </ol>
 * The library first cuts out the added tokens ({@link #segments}) and treats the texts between them on their own.
 */
final class WordSplitter {
    /** The word-prefix marker that stands for a space. */
    static final char MARKER = '\u2581';
    /** Tab, line feed, vertical tab, form feed, carriage return: isolated, and followed by a {@code ▁}. */
    static final String ISOLATED_WHITESPACE = "\t\n\u000B\f\r";
    private static final String ASCII_PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
    /*
     * The library's Unicode tables are older than Java 17's (Unicode 13; the library knows none of the punctuation
     * Unicode 9 added): these ranges (first, last) are punctuation to Java but not to the library, and the two code
     * points after them were punctuation in older versions and still are to the library. Found by cutting every code
     * point with both (WordTokenizerBuilderTest), which fails if either side changes.
     */
    private static final int[] PUNCTUATION_TO_JAVA_ONLY = {0x09FD, 0x09FD, 0x0A76, 0x0A76, 0x0C77, 0x0C77,
        0x0C84, 0x0C84, 0x2E43, 0x2E4F, 0x2E52, 0x2E52, 0x10EAD, 0x10EAD, 0x10F55, 0x10F59, 0x1144B, 0x1144F,
        0x1145A, 0x1145B, 0x1145D, 0x1145D, 0x11660, 0x1166C, 0x1183B, 0x1183B, 0x11944, 0x11946, 0x119E2, 0x119E2,
        0x11A3F, 0x11A46, 0x11A9A, 0x11A9C, 0x11A9E, 0x11AA2, 0x11C41, 0x11C45, 0x11C70, 0x11C71, 0x11EF7, 0x11EF8,
        0x11FFF, 0x11FFF, 0x16E97, 0x16E9A, 0x16FE2, 0x16FE2, 0x1E95E, 0x1E95F};
    private static final int CANADIAN_SYLLABICS_CHI_SIGN = 0x166D;
    private static final int SHARADA_SANDHI_MARK = 0x111C9;

    private WordSplitter() {}

    /**
     * Cuts the added tokens out of a text as the tokenizers library does before pre-tokenizing: at the leftmost
     * position where one starts, the longest that does.
     *
     * @param text a text
     * @param addedTokens the added tokens, none empty
     * @return the non-empty texts between the added tokens, in order
     */
    static List<String> segments(String text, List<String> addedTokens) {
        List<String> segments = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < text.length(); ) {
            int longest = 0;
            for (String token : addedTokens) {
                if (token.length() > longest && text.startsWith(token, i)) {
                    longest = token.length();
                }
            }
            if (longest > 0) {
                addNonEmpty(segments, text, start, i);
                i += longest;
                start = i;
            } else {
                i++;
            }
        }
        addNonEmpty(segments, text, start, text.length());
        return segments;
    }

    /**
     * @param text a text, holding no added token
     * @return its pieces, in order; none for the empty text
     */
    static List<String> pieces(String text) {
        List<String> pieces = new ArrayList<>();
        if (text.isEmpty()) {
            return pieces;
        }
        StringBuilder normalized = new StringBuilder(text.length() + 1);
        text.codePoints().forEach(c -> {
            normalized.appendCodePoint(c == ' ' ? MARKER : c);
            if (ISOLATED_WHITESPACE.indexOf(c) >= 0) {
                normalized.append(MARKER);
            }
        });
        String s = normalized.charAt(0) == MARKER ? normalized.toString() : MARKER + normalized.toString();
        int start = 0;
        for (int i = 0; i < s.length(); ) {
            int c = s.codePointAt(i);
            int next = i + Character.charCount(c);
            if (c == MARKER) {
                addNonEmpty(pieces, s, start, i);
                start = i;
            } else if (isIsolated(c)) {
                addNonEmpty(pieces, s, start, i);
                pieces.add(s.substring(i, next));
                start = next;
            }
            i = next;
        }
        addNonEmpty(pieces, s, start, s.length());
        return pieces;
    }

    /**
     * @param c a code point
     * @return whether it is a piece of its own: punctuation as the tokenizers library's {@code Punctuation}
     *     pre-tokenizer sees it (ASCII punctuation, or a Unicode punctuation category in the library's tables), or
     *     white space of {@link #ISOLATED_WHITESPACE}
     */
    static boolean isIsolated(int c) {
        if (c < 0x80) {
            return ASCII_PUNCTUATION.indexOf(c) >= 0 || ISOLATED_WHITESPACE.indexOf(c) >= 0;
        }
        if (c == CANADIAN_SYLLABICS_CHI_SIGN || c == SHARADA_SANDHI_MARK) {
            return true;
        }
        boolean punctuation = switch (Character.getType(c)) {
            case Character.CONNECTOR_PUNCTUATION, Character.DASH_PUNCTUATION, Character.START_PUNCTUATION,
                    Character.END_PUNCTUATION, Character.INITIAL_QUOTE_PUNCTUATION,
                    Character.FINAL_QUOTE_PUNCTUATION, Character.OTHER_PUNCTUATION -> true;
            default -> false;
        };
        if (punctuation) {
            for (int i = 0; i < PUNCTUATION_TO_JAVA_ONLY.length; i += 2) {
                if (c >= PUNCTUATION_TO_JAVA_ONLY[i] && c <= PUNCTUATION_TO_JAVA_ONLY[i + 1]) {
                    return false;
                }
            }
        }
        return punctuation;
    }

    private static void addNonEmpty(List<String> pieces, String s, int start, int end) {
        if (end > start) {
            pieces.add(s.substring(start, end));
        }
    }
}
