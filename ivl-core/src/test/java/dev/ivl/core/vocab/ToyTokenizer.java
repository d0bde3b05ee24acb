package dev.ivl.core.vocab;

import dev.ivl.core.text.TextTokenizer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * A greedy longest-match tokenizer over a small vocabulary, in one of two spellings:
 *
 * <ul>
 *   <li>{@link #sentencepiece}: ids 0–2 are {@code <unk>}, {@code <s>} (BOS, added with special tokens),
 *       {@code </s>} (EOS); ids 3–258 are the byte-fallback tokens {@code <0x00>}–{@code <0xFF>}; then the pieces,
 *       spelled with a marker character for spaces. Encoding puts a space before the text (the dummy prefix);
 *       decoding drops one leading space.
 *   <li>{@link #byteLevel}: ids 0–255 are the 256 bytes in byte-level characters, then the pieces in byte-level
 *       characters, then {@code <|endoftext|>} (EOS). No BOS.
 * </ul>
 *
 * Longest match is not stable as text grows ({@code ▁hel} + {@code lo} becomes {@code ▁hello}), which is what
 * re-synchronisation has to handle.
 */
public final class ToyTokenizer implements TextTokenizer {
    private final boolean sentencepiece;
    private final char marker;
    private final List<String> strings = new ArrayList<>();
    private final Map<String, Integer> ids = new HashMap<>();
    private final int eos;
    private int longest;

    private ToyTokenizer(boolean sentencepiece, char marker, List<String> pieces) {
        this.sentencepiece = sentencepiece;
        this.marker = marker;
        if (sentencepiece) {
            add("<unk>");
            add("<s>");
            add("</s>");
            for (int b = 0; b < 256; b++) {
                add(String.format("<0x%02X>", b));
            }
            for (String p : pieces) {
                add(p.replace(' ', marker));
            }
            eos = 2;
        } else {
            for (int b = 0; b < 256; b++) {
                add(String.valueOf(ByteLevel.charOf(b)));
            }
            for (String p : pieces) {
                add(ByteLevel.render(p.getBytes(StandardCharsets.UTF_8)));
            }
            eos = strings.size();
            add("<|endoftext|>");
        }
    }

    /** A sentencepiece-style tokenizer with marker {@code ▁}; pieces are written with plain spaces. */
    public static ToyTokenizer sentencepiece(String... pieces) {
        return new ToyTokenizer(true, '▁', List.of(pieces));
    }

    /** A sentencepiece-style tokenizer with another marker character. */
    public static ToyTokenizer sentencepiece(char marker, String... pieces) {
        return new ToyTokenizer(true, marker, List.of(pieces));
    }

    /** A byte-level tokenizer; pieces are written with plain spaces. */
    public static ToyTokenizer byteLevel(String... pieces) {
        return new ToyTokenizer(false, 'Ġ', List.of(pieces));
    }

    private void add(String s) {
        if (ids.putIfAbsent(s, strings.size()) == null) {
            strings.add(s);
            if (!s.startsWith("<")) {
                longest = Math.max(longest, s.length());
            }
        }
    }

    /** @return the id of a token string */
    public int id(String tokenString) {
        Integer id = ids.get(tokenString);
        if (id == null) {
            throw new IllegalArgumentException("no token " + tokenString);
        }
        return id;
    }

    @Override
    public int vocabSize() {
        return strings.size();
    }

    @Override
    public int[] encode(String text, boolean addSpecialTokens) {
        List<Integer> out = new ArrayList<>();
        if (sentencepiece && addSpecialTokens) {
            out.add(1);
        }
        String s = sentencepiece ? (" " + text).replace(' ', marker)
                : ByteLevel.render(text.getBytes(StandardCharsets.UTF_8));
        int i = 0;
        while (i < s.length()) {
            int match = -1;
            int length = Math.min(longest, s.length() - i);
            for (; length > 0; length--) {
                Integer id = ids.get(s.substring(i, i + length));
                if (id != null && !strings.get(id).startsWith("<")) {
                    match = id;
                    break;
                }
            }
            if (match >= 0) {
                out.add(match);
                i += length;
            } else { // sentencepiece only: byte fallback for a character not in the vocabulary
                int cp = s.codePointAt(i);
                for (byte b : Character.toString(cp).getBytes(StandardCharsets.UTF_8)) {
                    out.add(3 + (b & 0xff));
                }
                i += Character.charCount(cp);
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    @Override
    public String decode(int[] tokenIds) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int id : tokenIds) {
            String s = strings.get(id);
            if (sentencepiece) {
                if (id >= 3 && id < 259) {
                    bytes.write(id - 3);
                } else if (id >= 259) {
                    bytes.writeBytes(s.replace(marker, ' ').getBytes(StandardCharsets.UTF_8));
                }
            } else if (id != eos) {
                for (char c : s.toCharArray()) {
                    bytes.write(ByteLevel.byteOf(c));
                }
            }
        }
        String text = bytes.toString(StandardCharsets.UTF_8);
        return sentencepiece && text.startsWith(" ") ? text.substring(1) : text;
    }

    @Override
    public int[] eosTokenIds() {
        return new int[] {eos};
    }

    @Override
    public OptionalInt bosTokenId() {
        return sentencepiece ? OptionalInt.of(1) : OptionalInt.empty();
    }

    @Override
    public String tokenString(int id) {
        return strings.get(id);
    }

    @Override
    public String toString() {
        return sentencepiece ? "ToyTokenizer[sentencepiece]" : "ToyTokenizer[byte-level]";
    }
}
