package dev.ivl.djl.tokenizer;

import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.DisabledException;
import com.hubspot.jinjava.interpret.TemplateSyntaxException;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.lib.tag.EndTag;
import com.hubspot.jinjava.lib.tag.FlexibleTag;
import com.hubspot.jinjava.lib.tag.Tag;
import com.hubspot.jinjava.tree.parse.ExpressionToken;
import com.hubspot.jinjava.tree.parse.TagToken;
import com.hubspot.jinjava.tree.parse.Token;
import com.hubspot.jinjava.tree.parse.TokenScanner;

/**
 * How deeply a template nests, measured on its source before Jinjava parses it: Jinjava's parser and renderer recurse
 * once per level of brackets ({@code (}, {@code [}, <code>{</code>) and of blocks (<code>{% if %}</code>,
 * <code>{% for %}</code>, ...), so a template nesting thousands of levels overflows the stack or takes minutes to
 * parse. The source is split into tags by Jinjava's own scanner, in one pass without recursion.
 */
final class TemplateNesting {
    private TemplateNesting() {
    }

    /**
     * @param source the template source
     * @param config the configuration it will be parsed with
     * @param tags where its tags are defined
     * @param limit the depth past which to stop measuring
     * @return the deepest nesting of blocks and brackets, or the first depth found past {@code limit}; a template
     *     that does not scan is measured up to where it stops (the parser reports the error)
     */
    static int depth(String source, JinjavaConfig config, Context tags, int limit) {
        int blocks = 0;
        int deepest = 0;
        TokenScanner scanner = new TokenScanner(source, config);
        try {
            while (scanner.hasNext() && deepest <= limit) {
                Token token = scanner.next();
                if (token instanceof ExpressionToken) {
                    deepest = Math.max(deepest, blocks + brackets(((ExpressionToken) token).getExpr()));
                } else if (token instanceof TagToken) {
                    TagToken tagToken = (TagToken) token;
                    deepest = Math.max(deepest, blocks + brackets(tagToken.getHelpers()));
                    Tag tag = tag(tags, tagToken.getTagName());
                    if (tag instanceof EndTag) {
                        blocks = Math.max(0, blocks - 1);
                    } else if (tag != null && tag.getEndTagName() != null
                            && (!(tag instanceof FlexibleTag) || ((FlexibleTag) tag).hasEndTag(tagToken))) {
                        blocks++; // opens a block, as Jinjava's TreeParser decides it
                        deepest = Math.max(deepest, blocks);
                    }
                }
            }
        } catch (TemplateSyntaxException e) {
            // a malformed tag: the parser reports it
        }
        return deepest;
    }

    private static Tag tag(Context tags, String name) {
        try {
            return tags.getTag(name);
        } catch (DisabledException e) {
            return null;
        }
    }

    /** @return the deepest nesting of brackets in an expression, outside its string literals */
    private static int brackets(String expression) {
        int depth = 0;
        int deepest = 0;
        char quote = 0;
        for (int i = 0; i < expression.length(); i++) {
            char c = expression.charAt(i);
            if (quote != 0) {
                if (c == '\\') {
                    i++;
                } else if (c == quote) {
                    quote = 0;
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (c == '(' || c == '[' || c == '{') {
                deepest = Math.max(deepest, ++depth);
            } else if ((c == ')' || c == ']' || c == '}') && depth > 0) {
                depth--;
            }
        }
        return deepest;
    }
}
