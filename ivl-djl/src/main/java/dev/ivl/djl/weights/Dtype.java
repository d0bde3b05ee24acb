package dev.ivl.djl.weights;

/** The element types a safetensors header may name, with their sizes in bytes. */
enum Dtype {
    BOOL(1),
    U8(1),
    I8(1),
    F8_E4M3(1),
    F8_E5M2(1),
    I16(2),
    U16(2),
    F16(2),
    BF16(2),
    I32(4),
    U32(4),
    F32(4),
    I64(8),
    U64(8),
    F64(8);

    private final int bytes;

    Dtype(int bytes) {
        this.bytes = bytes;
    }

    /** @return the size of one element in bytes */
    int bytes() {
        return bytes;
    }

    /** @return whether {@link SafetensorsCheckpoint#load} can convert this type to FLOAT32 or FLOAT16 */
    boolean isLoadableFloat() {
        return this == F32 || this == F16 || this == BF16;
    }

    /**
     * @param name the header's spelling, e.g. {@code "BF16"} (case-sensitive, as in the format)
     * @return the type, or null when the name is not a safetensors dtype
     */
    static Dtype parse(String name) {
        try {
            return valueOf(name);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
