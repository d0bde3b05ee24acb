package dev.ivl.djl.vocab;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ivl.core.model.Session;
import dev.ivl.core.vocab.CrossVocabularyModel;
import dev.ivl.core.vocab.SamplingVocabulary;
import dev.ivl.core.vocab.TokenMap;
import dev.ivl.djl.tokenizer.HfTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The model that does not sample follows the text with real tokenizers: after every sampled token its session holds
 * exactly its start tokens plus its tokenizer's encoding of the text so far (multi-byte characters held back until
 * complete), reached by rewinding and feeding only the changed tail.
 */
class ResynchronisationTest {
    /** Feeds each text's tokens one by one and checks the other session after every step. */
    static void follow(HfTokenizer sampled, HfTokenizer other, List<String> texts, int[] start, boolean sampleValue) {
        RecordingModel sampledModel = new RecordingModel(sampled.vocabSize());
        RecordingModel otherModel = new RecordingModel(other.vocabSize());
        TokenMap map = new TokenMap(sampleValue ? other.vocabSize() : sampled.vocabSize(),
                sampleValue ? sampled.vocabSize() : other.vocabSize(),
                new int[(sampleValue ? other.vocabSize() : sampled.vocabSize()) + 1], new int[0], new float[0]);
        CrossVocabularyModel cross = sampleValue
                ? CrossVocabularyModel.builder(otherModel, other, sampledModel, sampled, map)
                        .otherStartTokens(start).build()
                : CrossVocabularyModel.builder(sampledModel, sampled, otherModel, other, map)
                        .sampling(SamplingVocabulary.BASE).otherStartTokens(start).build();
        long fed = 0;
        long held = 0;
        for (String text : texts) {
            int[] ids = sampled.encode(text);
            int prefix = Math.max(1, Math.min(ids.length, 2));
            try (Session s = cross.newSession()) {
                s.append(Arrays.copyOf(ids, prefix));
                for (int i = prefix; i < ids.length; i++) {
                    s.append(ids[i]);
                    String decoded = sampled.decode(Arrays.copyOf(ids, i + 1));
                    String stable = decoded.endsWith("\uFFFD") ? stableText(sampled, ids, i) : decoded;
                    held += stable.equals(decoded) ? 0 : 1;
                    int[] want = concat(start, other.encode(stable, false));
                    RecordingModel.Recorder r = otherModel.sessions.get(otherModel.sessions.size() - 1);
                    assertArrayEquals(want, r.tokens(), () -> other + " after \"" + decoded + "\"");
                }
            }
            RecordingModel.Recorder r = otherModel.sessions.get(otherModel.sessions.size() - 1);
            fed += r.appendSizes.stream().mapToInt(Integer::intValue).sum() - r.tokens.size();
        }
        assertTrue(fed > 0, "some tail tokens changed and were fed again");
        if (texts.stream().anyMatch(t -> t.contains("🦙"))) {
            assertTrue(held > 0, "some steps ended inside a character");
        }
    }

    /**
     * @return the text of the longest prefix of {@code ids[0, n)} whose decoding does not end inside a character
     *     (in U+FFFD): what the other model may see
     */
    static String stableText(HfTokenizer tokenizer, int[] ids, int n) {
        for (int k = n; k > 0; k--) {
            String text = tokenizer.decode(Arrays.copyOf(ids, k));
            if (!text.endsWith("\uFFFD")) {
                return text;
            }
        }
        return "";
    }

    static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    static List<String> texts() {
        List<String> texts = new ArrayList<>(SharedTokenizers.sample());
        texts.add("🦙🦙 and  🚀\n\n  indented    runs\tof\t\twhite space 日本語");
        return texts;
    }

    @Test
    void llama2FollowsGpt2Text() {
        try (HfTokenizer gpt2 = SharedTokenizers.gpt2(); HfTokenizer llama2 = SharedTokenizers.llama2()) {
            follow(gpt2, llama2, texts(), new int[] {1}, true);
        }
    }

    @Test
    void gpt2FollowsLlama2TextWithByteFallbackCharacters() {
        try (HfTokenizer gpt2 = SharedTokenizers.gpt2(); HfTokenizer llama2 = SharedTokenizers.llama2()) {
            follow(llama2, gpt2, texts(), new int[] {50256}, false); // <|endoftext|> starts GPT-2's sequence
        }
    }

    @Test
    void llama3AndMistralFollowEachOtherOnTheReferenceTexts() {
        try (HfTokenizer llama3 = SharedTokenizers.llama3(); HfTokenizer mistral = SharedTokenizers.mistral()) {
            List<String> texts = new ArrayList<>(SharedTokenizers.referenceTexts().subList(0, 60));
            texts.addAll(texts());
            follow(llama3, mistral, texts, new int[] {1}, true);
            follow(mistral, llama3, texts, new int[] {128000}, false);
        }
    }
}
