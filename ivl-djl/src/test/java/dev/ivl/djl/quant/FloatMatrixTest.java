package dev.ivl.djl.quant;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.ivl.core.IllegalParameterException;
import org.junit.jupiter.api.Test;

/** {@link FloatMatrix}'s refusals: what it cannot view, and arrays too short for a product, each named. */
class FloatMatrixTest {
    @Test
    void refusesWhatItCannotViewAndArraysTooShort() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray vector = manager.zeros(new Shape(8));
            NDArray ints = manager.zeros(new Shape(2, 4), DataType.INT32);
            for (NDArray bad : new NDArray[] {vector, ints}) {
                assertFalse(FloatMatrix.viewable(bad), bad.toString());
                IllegalParameterException e = assertThrows(IllegalParameterException.class,
                        () -> FloatMatrix.of(bad));
                assertTrue(e.getMessage().contains("weight"), e.getMessage());
            }
            FloatMatrix m = FloatMatrix.of(manager.zeros(new Shape(3, 4), DataType.FLOAT16));
            assertTrue(m.half());
            IllegalParameterException e = assertThrows(IllegalParameterException.class,
                    () -> m.multiply(new float[7], 2, 1, new float[6]));
            assertTrue(e.getMessage().contains("2 rows of 4"), e.getMessage());
            assertThrows(IllegalParameterException.class, () -> m.multiply(new float[4], 1, 1, new float[2]));
            assertThrows(IllegalParameterException.class, () -> m.multiply(new float[4], 0, 1, new float[3]));
        }
    }
}
