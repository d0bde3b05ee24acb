package dev.ivl.core;

/**
 * A configuration parameter has an invalid value. The message names the parameter and the value. (Named so that
 * it cannot be confused with {@code java.security.InvalidParameterException}.)
 */
public class IllegalParameterException extends IvlException {
    private final String parameter;

    /**
     * @param parameter the parameter's name, as the user spells it (e.g. {@code topP})
     * @param value the rejected value
     * @param requirement what a valid value is (e.g. {@code "must be in (0, 1]"})
     */
    public IllegalParameterException(String parameter, Object value, String requirement) {
        super(parameter + " " + requirement + ", got " + value);
        this.parameter = parameter;
    }

    /**
     * For a value that is well formed but cannot be honoured here, with a message of its own.
     *
     * @param parameter the parameter's name, as the user spells it (e.g. {@code device})
     * @param message the whole message, naming the parameter and the value (e.g. {@code device gpu: CPU only,
     *     because ...})
     */
    public IllegalParameterException(String parameter, String message) {
        super(message);
        this.parameter = parameter;
    }

    /** @return the name of the invalid parameter */
    public String parameter() {
        return parameter;
    }
}
