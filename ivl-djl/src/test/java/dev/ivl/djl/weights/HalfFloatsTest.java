package dev.ivl.djl.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Checks the 16-bit float conversions exhaustively against the formats' definitions ({@link RawSafetensors#f16},
 * {@link RawSafetensors#bf16}: sign, exponent and mantissa combined in double arithmetic).
 */
class HalfFloatsTest {

    private static double f16Reference(int bits) {
        return RawSafetensors.f16(bits);
    }

    private static double bf16Reference(int bits) {
        return RawSafetensors.bf16(bits);
    }

    private static boolean isNaN16(int bits) {
        return (bits & 0x7c00) == 0x7c00 && (bits & 0x3ff) != 0;
    }

    @Test
    void f16ToFloatMatchesTheDefinitionForAll65536Patterns() {
        for (int bits = 0; bits < 0x10000; bits++) {
            float actual = HalfFloats.f16ToFloat((short) bits);
            double expected = f16Reference(bits);
            if (Double.isNaN(expected)) {
                assertTrue(Float.isNaN(actual), "NaN pattern");
            } else {
                // bit equality also distinguishes -0 from +0
                assertEquals(Float.floatToRawIntBits((float) expected), Float.floatToRawIntBits(actual),
                        "pattern 0x" + Integer.toHexString(bits));
            }
        }
    }

    @Test
    void bf16ToFloatMatchesTheDefinitionForAll65536Patterns() {
        for (int bits = 0; bits < 0x10000; bits++) {
            float actual = HalfFloats.bf16ToFloat((short) bits);
            double expected = bf16Reference(bits);
            if (Double.isNaN(expected)) {
                assertTrue(Float.isNaN(actual), "NaN pattern");
            } else {
                assertEquals(Float.floatToRawIntBits((float) expected), Float.floatToRawIntBits(actual),
                        "pattern 0x" + Integer.toHexString(bits));
            }
        }
    }

    @Test
    void floatToF16RoundTripsEveryNonNaNPattern() {
        for (int bits = 0; bits < 0x10000; bits++) {
            if (!isNaN16(bits)) {
                float value = (float) f16Reference(bits);
                assertEquals(bits, HalfFloats.floatToF16(value) & 0xffff, "pattern 0x" + Integer.toHexString(bits));
            }
        }
    }

    @Test
    void floatToF16RoundsToNearestWithTiesToEvenBetweenEveryPairOfNeighbours() {
        // every pair of adjacent positive finite binary16 values a < b, subnormals included, and the largest
        // finite value with the (unrepresentable) next power of two, 65536, which overflows to infinity
        for (int a = 0; a < 0x7c00; a++) {
            double low = f16Reference(a);
            double high = a + 1 == 0x7c00 ? 65536.0 : f16Reference(a + 1);
            float midpoint = (float) ((low + high) / 2); // exact: binary16 values have 11 significant bits
            int even = (a & 1) == 0 ? a : a + 1;
            assertEquals(even, HalfFloats.floatToF16(midpoint) & 0xffff, "tie after 0x" + Integer.toHexString(a));
            assertEquals(a, HalfFloats.floatToF16(Math.nextDown(midpoint)) & 0xffff,
                    "just below the midpoint after 0x" + Integer.toHexString(a));
            assertEquals(a + 1, HalfFloats.floatToF16(Math.nextUp(midpoint)) & 0xffff,
                    "just above the midpoint after 0x" + Integer.toHexString(a));
            assertEquals(a | 0x8000, HalfFloats.floatToF16(-Math.nextDown(midpoint)) & 0xffff, "negative side");
        }
    }

    @Test
    void floatToF16HandlesSpecialValues() {
        assertEquals(0x7c00, HalfFloats.floatToF16(Float.POSITIVE_INFINITY) & 0xffff);
        assertEquals(0xfc00, HalfFloats.floatToF16(Float.NEGATIVE_INFINITY) & 0xffff);
        assertEquals(0x7c00, HalfFloats.floatToF16(1e10f) & 0xffff);
        assertEquals(0x7bff, HalfFloats.floatToF16(65519f) & 0xffff); // below the overflow threshold 65520
        assertEquals(0x7c00, HalfFloats.floatToF16(65520f) & 0xffff); // the tie rounds up, to infinity
        assertEquals(0x8000, HalfFloats.floatToF16(-0f) & 0xffff);
        assertEquals(0x0000, HalfFloats.floatToF16(Float.MIN_VALUE) & 0xffff);
        assertEquals(0x0000, HalfFloats.floatToF16(0x1p-25f) & 0xffff); // half the smallest subnormal: tie to 0
        assertEquals(0x0001, HalfFloats.floatToF16(Math.nextUp(0x1p-25f)) & 0xffff);
        assertTrue(isNaN16(HalfFloats.floatToF16(Float.NaN) & 0xffff));
        assertTrue(isNaN16(HalfFloats.floatToF16(Float.intBitsToFloat(0x7f800001)) & 0xffff), "NaN with low payload");
    }

    @Test
    void floatToBf16RoundTripsAndRoundsToNearestEven() {
        for (int bits = 0; bits < 0x10000; bits++) {
            double value = bf16Reference(bits);
            if (Double.isNaN(value)) {
                assertTrue(Float.isNaN(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16((float) value))));
                continue;
            }
            assertEquals(bits, HalfFloats.floatToBf16((float) value) & 0xffff);
            if ((bits & 0x7fff) < 0x7f7f) {
                // the midpoint to the next pattern away from zero is exactly representable in float
                int upper = Float.floatToRawIntBits((float) value) + 0x8000;
                float midpoint = Float.intBitsToFloat(upper);
                int even = (bits & 1) == 0 ? bits : bits + 1;
                assertEquals(even, HalfFloats.floatToBf16(midpoint) & 0xffff,
                        "tie after 0x" + Integer.toHexString(bits));
                assertEquals(bits, HalfFloats.floatToBf16(Float.intBitsToFloat(upper - 1)) & 0xffff);
                assertEquals(bits + 1, HalfFloats.floatToBf16(Float.intBitsToFloat(upper + 1)) & 0xffff);
            }
        }
        assertEquals(0x7f80, HalfFloats.floatToBf16(Float.MAX_VALUE) & 0xffff); // rounds up to infinity
    }
}
