package dev.ivl.core.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class IncrementalDecoderTest {
    /**
     * Behaves like a Llama-2 sentencepiece tokenizer: pieces use ▁ for a space, characters without a piece fall
     * back to one token per UTF-8 byte, encoding adds a leading ▁ and decoding strips one leading space. Ids: 0
     * unk, 1 BOS, 2 EOS, 3–258 the bytes 0x00–0xFF, then the pieces.
     */
    static final class PieceTokenizer implements TextTokenizer {
        static final int BOS = 1;
        static final int EOS = 2;
        private static final int FIRST_BYTE = 3;
        private static final int FIRST_PIECE = FIRST_BYTE + 256;
        private final List<String> pieces;

        PieceTokenizer(String... pieces) {
            this.pieces = List.of(pieces);
        }

        int id(String piece) {
            int i = pieces.indexOf(piece);
            if (i < 0) {
                throw new IllegalArgumentException(piece);
            }
            return FIRST_PIECE + i;
        }

        static int byteId(int b) {
            return FIRST_BYTE + b;
        }

        @Override
        public int vocabSize() {
            return FIRST_PIECE + pieces.size();
        }

        /** Greedy longest match over the pieces, byte fallback for anything else. */
        @Override
        public int[] encode(String text, boolean addSpecialTokens) {
            String s = "▁" + text.replace(' ', '▁');
            List<Integer> ids = new ArrayList<>();
            if (addSpecialTokens) {
                ids.add(BOS);
            }
            int at = 0;
            while (at < s.length()) {
                String best = null;
                for (String piece : pieces) {
                    if (s.startsWith(piece, at) && (best == null || piece.length() > best.length())) {
                        best = piece;
                    }
                }
                if (best != null) {
                    ids.add(id(best));
                    at += best.length();
                } else {
                    int cp = s.codePointAt(at);
                    for (byte b : new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8)) {
                        ids.add(byteId(b & 0xff));
                    }
                    at += Character.charCount(cp);
                }
            }
            return ids.stream().mapToInt(Integer::intValue).toArray();
        }

        @Override
        public String decode(int[] ids) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            for (int id : ids) {
                if (id >= FIRST_PIECE) {
                    bytes.writeBytes(pieces.get(id - FIRST_PIECE).replace('▁', ' ').getBytes(StandardCharsets.UTF_8));
                } else if (id >= FIRST_BYTE) {
                    bytes.write(id - FIRST_BYTE);
                }
            }
            String text = bytes.toString(StandardCharsets.UTF_8);
            return text.startsWith(" ") ? text.substring(1) : text;
        }

        @Override
        public int[] eosTokenIds() {
            return new int[] {EOS};
        }
    }

    private static final PieceTokenizer TOKENIZER =
            new PieceTokenizer("▁Hello", "▁world", "!", "▁", "▁caf", "▁au", "▁lait", "▁the", "re", "▁a", "b", "▁ab");

    private static List<String> pushAll(IncrementalDecoder decoder, int... ids) {
        List<String> out = new ArrayList<>();
        for (int id : ids) {
            out.add(decoder.push(id));
        }
        return out;
    }

    private static int[] ids(Object... tokens) {
        int[] out = new int[tokens.length];
        for (int i = 0; i < tokens.length; i++) {
            out[i] = tokens[i] instanceof String s ? TOKENIZER.id(s) : PieceTokenizer.byteId((Integer) tokens[i]);
        }
        return out;
    }

    @Test
    void turnsWordBoundaryMarkersIntoSpacesExceptAtTheStart() {
        assertEquals(List.of("Hello", " world", "!"), pushAll(TOKENIZER.newDecoder(), ids("▁Hello", "▁world", "!")));
        assertEquals(List.of("", "re", " a", "b"), pushAll(TOKENIZER.newDecoder(), ids("▁", "re", "▁a", "b")));
    }

    @Test
    void holdsBackByteFallbackTokensUntilTheCharacterIsComplete() {
        // café au lait: é is 0xC3 0xA9
        assertEquals(List.of("caf", "", "é", " au", " lait"),
                pushAll(TOKENIZER.newDecoder(), ids("▁caf", 0xC3, 0xA9, "▁au", "▁lait")));
        // € (0xE2 0x82 0xAC) first, then a word
        assertEquals(List.of("", "", "€", " world"),
                pushAll(TOKENIZER.newDecoder(), ids(0xE2, 0x82, 0xAC, "▁world")));
        // a four-byte emoji between words: 😀 is 0xF0 0x9F 0x98 0x80
        assertEquals(List.of("Hello", "", "", "", "😀", "!"),
                pushAll(TOKENIZER.newDecoder(), ids("▁Hello", 0xF0, 0x9F, 0x98, 0x80, "!")));
        // a lone space piece, then a byte-fallback character: decoding strips the space at the start
        assertEquals(List.of("", "", "é"), pushAll(TOKENIZER.newDecoder(), ids("▁", 0xC3, 0xA9)));
    }

    @Test
    void flushReturnsWhatIsHeldBack() {
        IncrementalDecoder decoder = TOKENIZER.newDecoder();
        assertEquals(List.of("Hello", ""), pushAll(decoder, ids("▁Hello", 0xE2)));
        assertEquals("\uFFFD", decoder.flush());
        assertEquals("", decoder.flush());
        IncrementalDecoder complete = TOKENIZER.newDecoder();
        pushAll(complete, ids("▁Hello", "▁world"));
        assertEquals("", complete.flush());
    }

    @Test
    void ignoresSpecialTokens() {
        assertEquals(List.of("", "Hello", "", " world"),
                pushAll(TOKENIZER.newDecoder(), PieceTokenizer.BOS, TOKENIZER.id("▁Hello"), PieceTokenizer.EOS,
                        TOKENIZER.id("▁world")));
    }

    @Test
    void piecesAddUpToTheDecodedTextAndAreAlwaysWholeCharacters() {
        String[] alphabet = {"Hello", "world", "the", "re", "caf", "é", "ü", "€", "中文", "😀", "!", " ", "x", "ab", "b"};
        SplittableRandom random = new SplittableRandom(17);
        for (int trial = 0; trial < 300; trial++) {
            StringBuilder text = new StringBuilder();
            int words = 1 + random.nextInt(12);
            for (int w = 0; w < words; w++) {
                text.append(alphabet[random.nextInt(alphabet.length)]);
            }
            int[] ids = TOKENIZER.encode(text.toString(), false);
            String expected = TOKENIZER.decode(ids);
            assertEquals(text.toString(), expected, "the fake tokenizer round-trips");
            IncrementalDecoder decoder = TOKENIZER.newDecoder();
            StringBuilder streamed = new StringBuilder();
            for (String piece : pushAll(decoder, ids)) {
                assertFalse(piece.contains("\uFFFD"), () -> "partial character in " + text);
                assertFalse(!piece.isEmpty() && Character.isHighSurrogate(piece.charAt(piece.length() - 1)),
                        () -> "split surrogate pair in " + text);
                streamed.append(piece);
            }
            assertEquals("", decoder.flush());
            assertEquals(expected, streamed.toString());
        }
        assertEquals(3, TOKENIZER.encode("é", false).length, "é is byte fallback: ▁ + two bytes");
    }
}
