package dev.ivl.djl.tokenizer;

import static dev.ivl.djl.tokenizer.ChatMessage.assistant;
import static dev.ivl.djl.tokenizer.ChatMessage.system;
import static dev.ivl.djl.tokenizer.ChatMessage.user;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ivl.core.InvalidInputException;
import dev.ivl.core.IllegalParameterException;
import dev.ivl.core.ModelFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Published Hugging Face chat templates rendered by Jinjava, compared with the prompt formats their model cards give.
 * The template strings are typed in from the models' tokenizer_config.json files.
 */
class JinjaChatTemplateTest {
    /** meta-llama/Llama-2-7b-chat-hf. */
    static final String LLAMA2_CHAT = "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}"
            + "{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}"
            + "{% set system_message = false %}{% endif %}{% for message in loop_messages %}"
            + "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
            + "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
            + "{% if loop.index0 == 0 and system_message != false %}"
            + "{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}"
            + "{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}"
            + "{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}"
            + "{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}";
    /** meta-llama/Meta-Llama-3-8B-Instruct (filters bind tighter than +). */
    static final String LLAMA3_INSTRUCT = "{% set loop_messages = messages %}{% for message in loop_messages %}"
            + "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'"
            + "+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}"
            + "{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";
    /** mistralai/Mistral-7B-Instruct-v0.1. */
    static final String MISTRAL_INSTRUCT = "{{ bos_token }}{% for message in messages %}"
            + "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
            + "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
            + "{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}"
            + "{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token + ' ' }}"
            + "{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}";
    /** ChatML, with whitespace control as many Qwen-style templates write it. */
    static final String CHATML = "{%- for message in messages %}\n"
            + "    {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}\n"
            + "{%- endfor %}\n"
            + "{%- if add_generation_prompt %}\n"
            + "    {{- '<|im_start|>assistant\\n' }}\n"
            + "{%- endif %}\n";

    @TempDir
    Path dir;

    @Test
    void tinyLlamaChatTemplateFromItsTokenizerConfig() throws IOException {
        try (HfTokenizer tokenizer = HfTokenizer.load(tinyLlamaChatFolder())) {
            ChatTemplate template = ChatTemplate.forTokenizer(tokenizer, "llama2");
            List<ChatMessage> messages = List.of(
                    system("You are a friendly chatbot who always responds in the style of a pirate"),
                    user("How many helicopters can a human eat in one sitting?"));
            // The prompt shown in the TinyLlama-1.1B-Chat-v1.0 model card.
            assertEquals("<|system|>\nYou are a friendly chatbot who always responds in the style of a pirate</s>\n"
                    + "<|user|>\nHow many helicopters can a human eat in one sitting?</s>\n"
                    + "<|assistant|>\n", template.render(messages, true));
            assertArrayEquals(new int[] {2}, tokenizer.eosTokenIds());
            // Chat prompts are encoded without added special tokens, as apply_chat_template does.
            int[] ids = tokenizer.encode(template.render(List.of(user("Hi")), true), false);
            assertEquals(1, java.util.Arrays.stream(ids).filter(id -> id == 2).count(),
                    "</s> is encoded as the special token, not as text");
            assertTrue(ids[0] != 1, "no BOS added");
        }
    }

    @Test
    void fallbackWhenTheTokenizerHasNoTemplate() {
        try (HfTokenizer tokenizer = HfTokenizer.load(TestFiles.fixture("llama2-tokenizer.json"))) {
            assertSame(ChatTemplate.zephyr(), ChatTemplate.forTokenizer(tokenizer, "zephyr"));
            assertSame(ChatTemplate.llama2(), ChatTemplate.forTokenizer(tokenizer, "llama2"));
            assertThrows(IllegalParameterException.class, () -> ChatTemplate.forTokenizer(tokenizer, "vicuna"));
        }
    }

    @Test
    void fallbackNameIsCheckedEvenWhenTheTokenizerHasATemplate() throws IOException {
        try (HfTokenizer tokenizer = HfTokenizer.load(tinyLlamaChatFolder())) {
            assertThrows(IllegalParameterException.class, () -> ChatTemplate.forTokenizer(tokenizer, "vicuna"));
        }
    }

    @Test
    void llama2ChatTemplate() {
        ChatTemplate template = ChatTemplate.jinja(LLAMA2_CHAT, "<s>", "</s>");
        assertEquals("<s>[INST] <<SYS>>\nYou are a helpful assistant.\n<</SYS>>\n\nHi! [/INST]"
                + " Hello! How can I help? </s><s>[INST] Tell me a joke. [/INST]", template.render(List.of(
                        system("You are a helpful assistant."), user("Hi!"), assistant("Hello! How can I help?"),
                        user("  Tell me a joke.\n")), true));
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> template.render(List.of(user("a"), user("b")), true));
        assertTrue(e.getMessage().contains("Conversation roles must alternate user/assistant/user/assistant/..."),
                e.getMessage());
    }

    @Test
    void llama3InstructTemplate() {
        ChatTemplate template = ChatTemplate.jinja(LLAMA3_INSTRUCT, "<|begin_of_text|>", "<|end_of_text|>");
        assertEquals("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n",
                template.render(List.of(system("Be brief."), user("  Hi there\n")), true));
    }

    @Test
    void mistralInstructTemplate() {
        ChatTemplate template = ChatTemplate.jinja(MISTRAL_INSTRUCT, "<s>", "</s>");
        assertEquals("<s>[INST] What is your favourite condiment? [/INST]"
                + "Well, I'm quite partial to a good squeeze of fresh lemon juice.</s> "
                + "[INST] Do you have mayonnaise recipes? [/INST]", template.render(List.of(
                        user("What is your favourite condiment?"),
                        assistant("Well, I'm quite partial to a good squeeze of fresh lemon juice."),
                        user("Do you have mayonnaise recipes?")), true));
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> template.render(List.of(user("a"), system("s")), true));
        assertTrue(e.getMessage().contains("Only user and assistant roles are supported!"), e.getMessage());
        e = assertThrows(InvalidInputException.class, () -> template.render(List.of(system("s")), true));
        assertTrue(e.getMessage().contains("Conversation roles must alternate"), e.getMessage());
    }

    @Test
    void chatMlTemplateWithWhitespaceControl() {
        ChatTemplate template = ChatTemplate.jinja(CHATML, "", "<|im_end|>");
        assertEquals("<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\n",
                template.render(List.of(system("S"), user("U")), true));
        assertEquals("<|im_start|>user\nU<|im_end|>\n", template.render(List.of(user("U")), false));
    }

    @Test
    void builtInFormatsEqualThePublishedTemplates() throws IOException {
        ChatTemplate llama2 = ChatTemplate.jinja(LLAMA2_CHAT, "<s>", "</s>");
        ChatTemplate zephyr;
        try (HfTokenizer tokenizer = HfTokenizer.load(tinyLlamaChatFolder())) {
            zephyr = ChatTemplate.forTokenizer(tokenizer, "zephyr");
        }
        List<List<ChatMessage>> conversations = List.of(
                List.of(user("Hi")),
                List.of(system("  sys  "), user(" a\t"), assistant("\nb "), user("c")),
                List.of(user("x"), assistant("y"), user("z"), assistant("w")),
                List.of(system("Only system and user"), user("über 🦙 日本語 \u00a0")));
        for (List<ChatMessage> conversation : conversations) {
            for (boolean generationPrompt : new boolean[] {true, false}) {
                assertEquals(llama2.render(conversation, generationPrompt),
                        ChatTemplate.llama2().render(conversation, generationPrompt));
                assertEquals(zephyr.render(conversation, generationPrompt),
                        ChatTemplate.zephyr().render(conversation, generationPrompt));
            }
        }
    }

    @Test
    void chatTemplateListUsesTheDefaultOne() throws IOException {
        Files.copy(TestFiles.fixture("llama2-tokenizer.json"), dir.resolve("tokenizer.json"));
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"bos_token\": \"<s>\", \"eos_token\": \"</s>\","
                + " \"chat_template\": [{\"name\": \"tool_use\", \"template\": \"tools\"},"
                + " {\"name\": \"default\","
                + " \"template\": \"{{ bos_token }}{{ messages[0].content }}{{ eos_token }}\"}]}");
        try (HfTokenizer tokenizer = HfTokenizer.load(dir)) {
            assertEquals("<s>hello</s>",
                    ChatTemplate.forTokenizer(tokenizer, "llama2").render(List.of(user("hello")), true));
        }
    }

    @Test
    void messageContentIsNeverInterpreted() {
        ChatTemplate template = ChatTemplate.jinja(LLAMA3_INSTRUCT, "<|begin_of_text|>", "<|end_of_text|>");
        String content = "{{ 7*7 }} {% if true %}x{% endif %} {{ ''.getClass() }} <b>&amp;";
        String prompt = template.render(List.of(user(content)), false);
        assertTrue(prompt.contains(content), prompt);
    }

    @Test
    void pythonStringMethods() {
        String template = "{% set m = messages[0].content %}[{{ m.strip() }}][{{ m.lstrip() }}][{{ m.rstrip() }}]"
                + "[{{ m.upper() }}][{{ m.lower() }}][{{ m.title() }}][{{ m.split() }}][{{ m.split('l') }}]"
                + "[{{ m.replace('l', 'L') }}][{{ m.strip().capitalize() }}][{{ m.strip(' \u00a0hD') }}]"
                + "[{% if m.startswith('  he') and m.endswith(('x', '\u00a0')) %}yes{% endif %}]"
                + "[{% for k, v in messages[0].items() %}{{ k }}={{ v.strip() }};{% endfor %}]"
                + "[{{ messages[0].get('role') }}{{ messages[0].get('name', '-') }}]";
        // Expected values worked out with Python's str methods.
        assertEquals("[hello wORLD][hello wORLD\u00a0][  hello wORLD][  HELLO WORLD\u00a0][  hello world\u00a0]"
                + "[  Hello World\u00a0][['hello', 'wORLD']][['  he', '', 'o wORLD\u00a0']]"
                + "[  heLLo wORLD\u00a0][Hello world][ello wORL][yes][role=user;content=hello wORLD;][user-]",
                ChatTemplate.jinja(template, "", "").render(List.of(user("  hello wORLD\u00a0")), false));
    }

    @Test
    void syntaxErrors() throws IOException {
        IllegalParameterException e = assertThrows(IllegalParameterException.class,
                () -> ChatTemplate.jinja("{% for m in messages %}{{ m.content }}", "", ""));
        assertEquals("chatTemplate", e.parameter());
        assertTrue(e.getMessage().contains("does not parse"), e.getMessage());

        Files.copy(TestFiles.fixture("llama2-tokenizer.json"), dir.resolve("tokenizer.json"));
        Path config = Files.writeString(dir.resolve("tokenizer_config.json"), "{\"chat_template\": \"{% if x %}\"}");
        try (HfTokenizer tokenizer = HfTokenizer.load(dir)) {
            ModelFormatException f = assertThrows(ModelFormatException.class,
                    () -> ChatTemplate.forTokenizer(tokenizer, "llama2"));
            assertEquals(config, f.file());
            assertTrue(f.getMessage().contains("chat_template"), f.getMessage());
        }
    }

    @Test
    void renderingFromManyThreads() throws Exception {
        ChatTemplate template = ChatTemplate.jinja(LLAMA2_CHAT, "<s>", "</s>");
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            List<java.util.concurrent.Future<Boolean>> results = new java.util.ArrayList<>();
            for (int t = 0; t < 4; t++) {
                results.add(pool.submit(() -> {
                    for (int i = 0; i < 200; i++) {
                        List<ChatMessage> messages = List.of(user("q" + i), assistant("a" + i), user("r" + i));
                        if (!template.render(messages, true).equals(ChatTemplate.llama2().render(messages, true))) {
                            return false;
                        }
                    }
                    return true;
                }));
            }
            for (java.util.concurrent.Future<Boolean> result : results) {
                assertTrue(result.get());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** A model folder as TinyLlama-1.1B-Chat-v1.0 ships it (its tokenizer.json is the Llama-2 one). */
    private Path tinyLlamaChatFolder() throws IOException {
        Files.copy(TestFiles.fixture("llama2-tokenizer.json"), dir.resolve("tokenizer.json"));
        for (String name : new String[] {"tokenizer_config.json", "generation_config.json"}) {
            Files.copy(TestFiles.fixture("tinyllama-chat/" + name), dir.resolve(name));
        }
        return dir;
    }
}
