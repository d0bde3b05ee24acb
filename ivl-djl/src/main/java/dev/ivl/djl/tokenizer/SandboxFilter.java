package dev.ivl.djl.tokenizer;

import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One of Jinjava's filters as chat templates get it: only the filters Jinja has (Hugging Face's templates are written
 * for Jinja; the others, such as {@code regex_replace} or {@code multiply}, are refused), and each checked before it
 * runs against {@link JinjaChatTemplate#MAX_OUTPUT_CHARS}: its operands' text, and for the filters that build more
 * than they are given ({@code center}, {@code indent}, {@code wordwrap}, {@code format}, {@code replace},
 * {@code join}, {@code round}, {@code batch}) the size of what it would build, worked out from its arguments. Jinjava
 * checks only some results, and only once built: {@code 'a'|center(2000000000)} would first build two billion
 * characters.
 */
final class SandboxFilter implements Filter {
    /** Jinja's built-in filters that Jinjava has, under Jinja's names. */
    private static final Set<String> JINJA_FILTERS = Set.of("abs", "attr", "batch", "capitalize", "center", "count",
            "d", "default", "dictsort", "e", "escape", "filesizeformat", "first", "float", "forceescape", "format",
            "groupby", "indent", "int", "join", "last", "length", "list", "lower", "map", "pprint", "random", "reject",
            "rejectattr", "replace", "reverse", "round", "safe", "select", "selectattr", "slice", "sort", "string",
            "striptags", "sum", "title", "tojson", "trim", "truncate", "unique", "upper", "urlencode", "urlize",
            "wordcount", "wordwrap", "xmlattr");
    /** A format specifier of {@link String#format}, with its width and precision. */
    private static final Pattern FORMAT_SPECIFIER =
            Pattern.compile("%(?:\\d+\\$)?[-#+ 0,(<]*(\\d+)?(?:\\.(\\d+))?[tT]?[a-zA-Z%]");
    /** Characters a format specifier may write beyond its width and precision (a double's 309 digits, grouped). */
    private static final long FORMATTED_NUMBER_CHARS = 512;
    private static final long MAX = JinjaChatTemplate.MAX_OUTPUT_CHARS;

    private final Filter filter;

    private SandboxFilter(Filter filter) {
        this.filter = filter;
    }

    /**
     * Replaces every filter of the context with its sandboxed form.
     *
     * @param context the global context of the sandbox's Jinjava
     */
    static void install(Context context) {
        for (Filter filter : List.copyOf(context.getAllFilters())) {
            context.registerFilter(new SandboxFilter(filter));
        }
    }

    @Override
    public String getName() {
        return filter.getName();
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
        return filter(var, interpreter, args, Collections.emptyMap());
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
        String name = getName();
        if (!JINJA_FILTERS.contains(name)) {
            throw new SandboxException("uses the filter '" + name + "', which Jinja does not have");
        }
        Object[] positional = args == null ? new Object[0] : args;
        Map<String, Object> named = kwargs == null ? Map.of() : kwargs;
        long given = textLength(var);
        for (Object arg : positional) {
            given += textLength(arg);
        }
        for (Object arg : named.values()) {
            given += textLength(arg);
        }
        if (given > MAX) {
            throw new SandboxException("gives the filter '" + name + "' more than " + MAX + " characters of text");
        }
        if (built(name, var, given, positional, named) > MAX) {
            throw new SandboxException("would build more than " + MAX + " characters in the filter '" + name + "'");
        }
        if (name.equals("batch") && positional.length > 1
                && number(positional[0], 0) > JinjaChatTemplate.MAX_COLLECTION_SIZE) {
            throw new SandboxException("would build a list of more than " + JinjaChatTemplate.MAX_COLLECTION_SIZE
                    + " items in the filter 'batch'");
        }
        return filter.filter(var, interpreter, positional, named);
    }

    @Override
    public boolean preserveSafeString() {
        return filter.preserveSafeString();
    }

    /**
     * @param given the length of the operands' text, at most {@link #MAX}
     * @return at least the number of characters the filter builds, as Jinjava implements it
     */
    private static long built(String name, Object var, long given, Object[] args, Map<String, Object> kwargs) {
        switch (name) {
            case "center":
                return Math.max(given, number(arg(args, 0), 80));
            case "indent":
                Object width = args.length > 0 ? args[0] : kwargs.getOrDefault("width", 4);
                return given + number(width, 4) * (count(String.valueOf(var), "\n") + 1);
            case "wordwrap":
                return given + given / Math.max(1, number(arg(args, 0), 79)) + 1;
            case "format":
                return given + formatted(String.valueOf(var));
            case "replace":
                return replaced(String.valueOf(var), args);
            case "join":
                return given + textLength(arg(args, 0)) * items(var);
            case "round":
                return given + number(arg(args, 0), 0) + 2;
            default:
                return given;
        }
    }

    /** @return the characters the specifiers of a format string may write beyond the arguments' text */
    private static long formatted(String format) {
        long chars = 0;
        Matcher specifier = FORMAT_SPECIFIER.matcher(format);
        while (specifier.find() && chars <= MAX) {
            chars += digits(specifier.group(1)) + digits(specifier.group(2)) + FORMATTED_NUMBER_CHARS;
        }
        return chars;
    }

    /** @return the length of {@code s|replace(old, new[, count])} as Jinjava (commons-lang's replace) computes it */
    private static long replaced(String s, Object[] args) {
        if (args.length < 2 || args[0] == null || args[1] == null) {
            return s.length(); // Jinjava refuses it
        }
        String old = args[0].toString();
        long growth = args[1].toString().length() - old.length();
        long times = old.isEmpty() ? 0 : count(s, old);
        if (args.length > 2 && args[2] != null) {
            times = Math.min(times, Math.max(0, number(args[2], times)));
        }
        return s.length() + times * Math.max(0, growth);
    }

    /** @return how many times {@code part} occurs in {@code s} without overlapping */
    private static long count(String s, String part) {
        long n = 0;
        for (int at = s.indexOf(part); at >= 0; at = s.indexOf(part, at + part.length())) {
            n++;
        }
        return n;
    }

    private static Object arg(Object[] args, int i) {
        return i < args.length ? args[i] : null;
    }

    /**
     * @return the value as a whole number rounded up, from 0 to just past {@link #MAX} (beyond, the size matters no
     *     more), or the fallback when it is not a number
     */
    private static long number(Object value, long fallback) {
        double d;
        if (value instanceof Number) {
            d = ((Number) value).doubleValue();
        } else {
            try {
                d = Double.parseDouble(String.valueOf(value));
            } catch (NumberFormatException e) {
                return fallback;
            }
        }
        return Double.isNaN(d) ? fallback : (long) Math.max(0, Math.ceil(Math.min(d, MAX + 1)));
    }

    private static long digits(String digits) {
        if (digits == null) {
            return 0;
        }
        return digits.length() > 9 ? MAX + 1 : Math.min(Long.parseLong(digits), MAX + 1);
    }

    /** @return how many items the filter iterates over in the value */
    private static long items(Object value) {
        if (value instanceof Collection<?>) {
            return ((Collection<?>) value).size();
        }
        if (value instanceof Map<?, ?>) {
            return ((Map<?, ?>) value).size();
        }
        if (value instanceof Object[]) {
            return ((Object[]) value).length;
        }
        return value instanceof CharSequence ? ((CharSequence) value).length() : 1;
    }

    /**
     * @return at least the length of the value's text (lists and maps written out with their items, strings quoted),
     *     counted no further than just past {@link #MAX}: a walk of at most that many items, without recursion
     */
    private static long textLength(Object value) {
        long length = 0;
        Deque<Iterator<?>> open = new ArrayDeque<>();
        open.push(Collections.singletonList(value).iterator());
        while (!open.isEmpty() && length <= MAX) {
            Iterator<?> items = open.peek();
            if (!items.hasNext()) {
                open.pop();
                continue;
            }
            Object item = items.next();
            if (item instanceof Map<?, ?>) {
                Map<?, ?> map = (Map<?, ?>) item;
                length += 2 + 4L * map.size();
                open.push(map.values().iterator());
                open.push(map.keySet().iterator());
            } else if (item instanceof Collection<?>) {
                length += 2 + 2L * ((Collection<?>) item).size();
                open.push(((Collection<?>) item).iterator());
            } else if (item instanceof Object[]) {
                length += 2 + 2L * ((Object[]) item).length;
                open.push(Arrays.asList((Object[]) item).iterator());
            } else if (item instanceof CharSequence) {
                length += 2 + ((CharSequence) item).length();
            } else {
                length += String.valueOf(item).length();
            }
        }
        return length;
    }
}
