package dev.ivl.djl.tokenizer;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaProcessors;
import com.hubspot.jinjava.interpret.AutoCloseableSupplier.AutoCloseableImpl;
import com.hubspot.jinjava.interpret.Context.Library;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.interpret.TemplateError.ErrorType;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.lib.tag.ForTag;
import com.hubspot.jinjava.tree.TagNode;
import dev.ivl.core.Limits;
import dev.ivl.core.InvalidInputException;
import dev.ivl.core.IllegalParameterException;
import dev.ivl.core.IvlException;
import dev.ivl.core.ModelFormatException;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.util.AbstractCollection;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/** A Hugging Face Jinja chat template rendered by Jinjava in a sandbox; see {@link ChatTemplate#jinja}. */
final class JinjaChatTemplate implements ChatTemplate {
    /** Most characters a rendering may produce, and longest string it may build. */
    static final int MAX_OUTPUT_CHARS = Limits.MAX_TEMPLATE_OUTPUT_CHARS;
    /** Most steps (template nodes visited plus loop iterations) a rendering may take: bounds loops without output. */
    static final int MAX_STEPS = Limits.MAX_TEMPLATE_STEPS;
    /** How deeply a template may nest brackets and blocks. */
    static final int MAX_NESTING = Limits.MAX_TEMPLATE_NESTING;
    /** Most items a list or map built by a template may hold. */
    static final int MAX_COLLECTION_SIZE = 100_000;
    /** The complaint about a template that nests deeper than the stack allows; it completes "chat_template ...". */
    private static final String NESTS_TOO_DEEPLY = "nests too deeply (a StackOverflowError)";

    /**
     * Jinjava's switches towards Jinja2's behaviour, all on except whitespaceRequiredWithinTokens (which stops
     * {@code {{-} and {@code {%-} from being recognised at all).
     */
    private static final LegacyOverrides JINJA2_SEMANTICS = LegacyOverrides.newBuilder()
            .withEvaluateMapKeys(true)
            .withIterateOverMapKeys(true)
            .withUsePyishObjectMapper(true)
            .withUseSnakeCasePropertyNaming(true)
            .withUseNaturalOperatorPrecedence(true)
            .withParseWhitespaceControlStrictly(true)
            .withAllowAdjacentTextNodes(true)
            .withUseTrimmingForNotesAndExpressions(true)
            .withKeepNullableLoopValues(true)
            .build();
    private static final Jinjava JINJAVA = sandboxedJinjava();
    /** Steps taken by the rendering running on this thread. */
    private static final ThreadLocal<int[]> STEPS = ThreadLocal.withInitial(() -> new int[1]);

    private final String template;
    private final String bosToken;
    private final String eosToken;
    private final Path file;

    /**
     * @param file the tokenizer_config.json the template comes from, or null if it was given directly
     * @throws ModelFormatException (with a file) or IllegalParameterException (without) if the template nests
     *     brackets and blocks more than {@link #MAX_NESTING} levels deep or does not parse
     */
    JinjaChatTemplate(String template, String bosToken, String eosToken, Path file) {
        this.template = Objects.requireNonNull(template, "template");
        this.bosToken = Objects.requireNonNull(bosToken, "bosToken");
        this.eosToken = Objects.requireNonNull(eosToken, "eosToken");
        this.file = file;
        String source = withoutTrailingNewline(template);
        if (TemplateNesting.depth(source, JINJAVA.getGlobalConfig(), JINJAVA.getGlobalContext(), MAX_NESTING)
                > MAX_NESTING) {
            throw templateError("nests brackets and blocks more than " + MAX_NESTING + " levels deep", null);
        }
        JinjavaInterpreter interpreter = JINJAVA.newInterpreter();
        try (AutoCloseableImpl<JinjavaInterpreter> current = JinjavaInterpreter.closeablePushCurrent(interpreter)
                .get()) {
            current.value().parse(source);
        } catch (StackOverflowError e) {
            throw templateError(NESTS_TOO_DEEPLY, null);
        }
        List<TemplateError> errors = interpreter.getErrors();
        if (!errors.isEmpty()) {
            throw templateError("does not parse", errors.get(0));
        }
    }

    @Override
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        List<Map<String, Object>> messageMaps = new ArrayList<>();
        for (ChatMessage message : messages) {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("role", message.role());
            map.put("content", message.content());
            messageMaps.add(map);
        }
        Map<String, Object> bindings = new HashMap<>();
        bindings.put("messages", messageMaps);
        bindings.put("add_generation_prompt", addGenerationPrompt);
        bindings.put("bos_token", bosToken);
        bindings.put("eos_token", eosToken);
        RenderResult result;
        STEPS.get()[0] = 0;
        try {
            result = JINJAVA.renderForResult(withoutTrailingNewline(template), bindings);
        } catch (SandboxException | StackOverflowError | OutOfMemoryError e) {
            throw refusal(e);
        }
        for (TemplateError error : result.getErrors()) {
            IvlException refusal = refusal(error.getException());
            if (refusal != null) {
                throw refusal;
            }
        }
        for (TemplateError error : result.getErrors()) {
            if (error.getSeverity() == ErrorType.FATAL) {
                throw templateError("failed to render", error);
            }
        }
        if (result.getOutput().isEmpty()) {
            throw templateError("rendered nothing for " + messages.size() + " message(s) (undefined variables and"
                    + " attributes read as nothing)", null);
        }
        return result.getOutput();
    }

    /**
     * @param exception what a rendering failed with (Jinjava catches most exceptions and reports them as errors)
     * @return the error to report when the template raised an exception, went past a limit of the sandbox or of the
     *     JVM, or null for another failure
     */
    private IvlException refusal(Throwable exception) {
        Raised raised = cause(exception, Raised.class);
        if (raised != null) {
            return new InvalidInputException("the chat template rejects the messages: " + raised.getMessage());
        }
        SandboxException refused = cause(exception, SandboxException.class);
        if (refused != null) {
            return templateError(refused.getMessage(), null);
        }
        if (cause(exception, StackOverflowError.class) != null) {
            return templateError(NESTS_TOO_DEEPLY, null);
        }
        if (cause(exception, OutOfMemoryError.class) != null) {
            return templateError("needs more memory than the JVM has (an OutOfMemoryError)", null);
        }
        return null;
    }

    /**
     * The {@code raise_exception} function of Hugging Face's template environment.
     *
     * @param message why the template rejects the messages
     * @return never
     */
    private static Object raiseException(String message) {
        throw new Raised(String.valueOf(message));
    }

    /** Jinja drops one newline at the very end of a template (its keep_trailing_newline is off by default). */
    private static String withoutTrailingNewline(String template) {
        return template.endsWith("\n") ? template.substring(0, template.length() - 1) : template;
    }

    private static <T extends Throwable> T cause(Throwable exception, Class<T> type) {
        for (Throwable t = exception; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }

    private IvlException templateError(String what, TemplateError error) {
        String detail = error == null ? "" : ": line " + error.getLineno() + ": " + error.getMessage();
        if (file != null) {
            return new ModelFormatException(file, "chat_template " + what + detail);
        }
        String excerpt = template.length() <= 40 ? template : template.substring(0, 37) + "...";
        return new IllegalParameterException("chatTemplate", excerpt,
                "must be a valid chat template (it " + what + detail + ")");
    }

    private static Jinjava sandboxedJinjava() {
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                .withLegacyOverrides(JINJA2_SEMANTICS)
                .withElResolver(new SandboxResolver())
                .withNestedInterpretationEnabled(false)
                .withEnableRecursiveMacroCalls(false)
                .withMaxOutputSize(MAX_OUTPUT_CHARS)
                .withMaxStringLength(MAX_OUTPUT_CHARS)
                .withMaxListSize(MAX_COLLECTION_SIZE)
                .withMaxMapSize(MAX_COLLECTION_SIZE)
                .withDisabled(Map.of(Library.TAG, Set.of("include", "import", "from", "extends")))
                .withProcessors(JinjavaProcessors.newBuilder()
                        .withNodePreProcessor((node, interpreter) -> step())
                        .build())
                .build();
        Jinjava jinjava = new Jinjava(config);
        jinjava.getGlobalContext().registerTag(new CountingForTag());
        SandboxFilter.install(jinjava.getGlobalContext());
        jinjava.setResourceLocator((name, encoding, interpreter) -> {
            throw new IOException("chat templates may not load " + name);
        });
        try {
            Method raise = JinjaChatTemplate.class.getDeclaredMethod("raiseException", String.class);
            raise.setAccessible(true);
            jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception", raise));
        } catch (NoSuchMethodException e) {
            throw new AssertionError(e);
        }
        return jinjava;
    }

    private static void step() {
        if (++STEPS.get()[0] > MAX_STEPS) {
            throw new SandboxException("takes more than " + MAX_STEPS + " steps");
        }
    }

    /** The for tag, counting each iteration as a step. */
    private static final class CountingForTag extends ForTag {
        private static final long serialVersionUID = 1L;

        @Override
        public String renderForCollection(TagNode tagNode, JinjavaInterpreter interpreter, List<String> loopVars,
                Object collection) {
            Object counted = collection;
            if (collection instanceof Collection<?>) {
                counted = new CountingCollection((Collection<?>) collection);
            } else if (collection instanceof Object[]) {
                counted = new CountingCollection(Arrays.asList((Object[]) collection));
            }
            return super.renderForCollection(tagNode, interpreter, loopVars, counted);
        }
    }

    /** A read-only view of a collection whose iterator counts each item as a step. */
    private static final class CountingCollection extends AbstractCollection<Object> {
        private final Collection<?> items;

        CountingCollection(Collection<?> items) {
            this.items = items;
        }

        @Override
        public Iterator<Object> iterator() {
            Iterator<?> iterator = items.iterator();
            return new Iterator<>() {
                @Override
                public boolean hasNext() {
                    return iterator.hasNext();
                }

                @Override
                public Object next() {
                    step();
                    return iterator.next();
                }
            };
        }

        @Override
        public int size() {
            return items.size();
        }
    }

    /** Thrown by {@code raise_exception}. */
    private static final class Raised extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Raised(String message) {
            super(message, null, false, false);
        }
    }
}
