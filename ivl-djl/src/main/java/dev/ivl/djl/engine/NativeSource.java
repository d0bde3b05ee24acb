package dev.ivl.djl.engine;

/** Where DJL takes the PyTorch native library from, in the order it looks. */
public enum NativeSource {
    /** A local libtorch folder named by the environment variable {@code PYTORCH_LIBRARY_PATH}. */
    ENVIRONMENT_VARIABLE("environment variable PYTORCH_LIBRARY_PATH"),
    /** A local libtorch folder named by the system property {@code PYTORCH_LIBRARY_PATH}. */
    SYSTEM_PROPERTY("system property PYTORCH_LIBRARY_PATH"),
    /** A {@code pytorch-native-*} jar on the classpath, extracted to DJL's cache. */
    CLASSPATH_JAR("pytorch-native jar on the classpath"),
    /** No override and no jar: DJL's cache, downloaded at first use when online. */
    DJL_DOWNLOAD("DJL's cache, downloaded by DJL");

    private final String description;

    NativeSource(String description) {
        this.description = description;
    }

    /** @return how a person would say it, e.g. {@code environment variable PYTORCH_LIBRARY_PATH} */
    public String description() {
        return description;
    }
}
