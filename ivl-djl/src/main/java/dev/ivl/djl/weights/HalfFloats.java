package dev.ivl.djl.weights;

/**
 * Conversions between float and the two 16-bit float formats of checkpoints: IEEE 754 binary16 ("F16") and
 * bfloat16 ("BF16"). Written out because {@code Float.float16ToFloat} needs Java 20 and the engine cannot hold
 * bfloat16 tensors.
 */
final class HalfFloats {
    private HalfFloats() {}

    /**
     * @param bits a binary16 value
     * @return the same value as a float (exact: every binary16 value is a float); NaN payloads are kept
     */
    static float f16ToFloat(short bits) {
        int h = bits & 0xffff;
        int sign = (h & 0x8000) << 16;
        int exponent = (h >>> 10) & 0x1f;
        int mantissa = h & 0x3ff;
        if (exponent == 0x1f) {
            // infinity (mantissa 0) or NaN: widen the payload into the float's mantissa
            return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
        }
        if (exponent == 0) {
            // zero or subnormal: mantissa × 2^-24, exact in float
            float magnitude = mantissa * 0x1p-24f;
            return sign == 0 ? magnitude : -magnitude;
        }
        // normal: rebias the exponent from 15 to 127
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }

    /**
     * @param value any float
     * @return the nearest binary16 value, ties to even; overflow gives infinity, NaN stays NaN (quiet)
     */
    static short floatToF16(float value) {
        int f = Float.floatToRawIntBits(value);
        int sign = (f >>> 16) & 0x8000;
        int exponent = (f >>> 23) & 0xff;
        int mantissa = f & 0x7fffff;
        if (exponent == 0xff) {
            return (short) (mantissa == 0 ? sign | 0x7c00 : sign | 0x7e00 | (mantissa >>> 13));
        }
        int e = exponent - 112; // binary16 biased exponent
        if (e >= 0x1f) {
            return (short) (sign | 0x7c00);
        }
        if (e <= 0) {
            if (e < -10) {
                return (short) sign; // below half the smallest subnormal: rounds to zero
            }
            // subnormal result: the 24-bit significand shifted to units of 2^-24
            int significand = mantissa | 0x800000;
            int shift = 14 - e;
            return (short) (sign | roundShift(significand, shift));
        }
        // normal result: drop 13 mantissa bits; a carry may ripple into the exponent (up to infinity), as it should
        return (short) (sign | roundShift((e << 23) | mantissa, 13));
    }

    /**
     * @param bits a bfloat16 value
     * @return the same value as a float (bfloat16 is the top half of a float)
     */
    static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }

    /**
     * @param value any float
     * @return the nearest bfloat16 value, ties to even; NaN stays NaN (quiet)
     */
    static short floatToBf16(float value) {
        int f = Float.floatToRawIntBits(value);
        if ((f & 0x7fffffff) > 0x7f800000) {
            return (short) ((f >>> 16) | 0x40);
        }
        return (short) roundShift(f, 16);
    }

    /**
     * @return {@code value >>> shift} rounded to nearest, ties to even ({@code value} read as unsigned;
     *     1 ≤ shift ≤ 31)
     */
    private static int roundShift(int value, int shift) {
        int kept = value >>> shift;
        int rest = value & ((1 << shift) - 1);
        int half = 1 << (shift - 1);
        if (rest > half || (rest == half && (kept & 1) != 0)) {
            kept++;
        }
        return kept;
    }
}
