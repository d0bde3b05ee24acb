package dev.ivl.djl.tokenizer;

import com.hubspot.jinjava.el.TypeConvertingMapELResolver;
import com.hubspot.jinjava.el.ext.JinjavaBeanELResolver;
import com.hubspot.jinjava.el.ext.JinjavaListELResolver;
import com.hubspot.jinjava.lib.exptest.ExpTest;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.objects.SafeString;
import com.hubspot.jinjava.util.ForLoop;
import java.beans.FeatureDescriptor;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import jinjava.javax.el.ArrayELResolver;
import jinjava.javax.el.CompositeELResolver;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;
import jinjava.javax.el.MethodNotFoundException;
import jinjava.javax.el.PropertyNotWritableException;

/**
 * Resolves properties and method calls for chat templates with an allow-list instead of Jinjava's default (which
 * lets templates call any public Java method not on a deny-list). Templates may read list items and map entries,
 * read the attributes of {@code loop}, call filters and tests, call {@link PyStrings Python string methods} on strings
 * and {@code items}, {@code keys}, {@code values} and {@code get} on maps. Nothing else: no Java method or bean
 * property of any object is reachable, so no class, class loader, file or network access can be built.
 */
final class SandboxResolver extends ELResolver {
    private static final Set<String> MAP_METHODS = Set.of("items", "keys", "values", "get");
    private static final Set<String> TEST_METHODS = Set.of("evaluate", "evaluateNegated");

    private final CompositeELResolver data = new CompositeELResolver();
    private final JinjavaBeanELResolver jinjavaObjects = new JinjavaBeanELResolver(true);

    SandboxResolver() {
        data.add(new ArrayELResolver(true));
        data.add(new JinjavaListELResolver(true));
        data.add(new TypeConvertingMapELResolver(true));
    }

    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        Object value = data.getValue(context, base, property);
        if (context.isPropertyResolved()) {
            return value;
        }
        if (base instanceof ForLoop) {
            return jinjavaObjects.getValue(context, base, property);
        }
        return null;
    }

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
        String name = String.valueOf(method);
        if (base instanceof Filter && name.equals("filter")
                || base instanceof ExpTest && TEST_METHODS.contains(name)
                || base instanceof ForLoop && name.equals("cycle")
                || base instanceof Map && MAP_METHODS.contains(name)) {
            return jinjavaObjects.invoke(context, base, method, paramTypes, params);
        }
        if (base instanceof String || base instanceof SafeString) {
            Object result = PyStrings.call(base.toString(), name, params);
            context.setPropertyResolved(true);
            return result;
        }
        throw new MethodNotFoundException("chat templates may not call '" + name + "' on "
                + (base == null ? "nothing" : "a " + base.getClass().getSimpleName()));
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return data.getType(context, base, property);
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {
        throw new PropertyNotWritableException("chat templates may not assign to '" + property + "'");
    }

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        context.setPropertyResolved(true);
        return true;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return data.getFeatureDescriptors(context, base);
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return data.getCommonPropertyType(context, base);
    }
}
