package dev.ivl.examples.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ivl.core.IllegalParameterException;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The PNG bar chart: a readable image of the requested size, bars in the series' colours and lengths. */
class ExperimentChartTest {
    @Test
    void writesAReadablePngOfTheRequestedSizeWithBarsProportionalToTheValues(@TempDir Path tmp) throws IOException {
        BarChart chart = new BarChart("test", List.of("first", "second"), List.of("a", "b"),
                new double[][] {{1.0, 0.5}, {0.0, 0.25}});
        Path file = tmp.resolve("sub/chart.png");
        chart.writePng(file, 640, 400);
        BufferedImage image = ImageIO.read(file.toFile());
        assertEquals(640, image.getWidth());
        assertEquals(400, image.getHeight());
        int blue = 0x1f77b4;
        int orange = 0xff7f0e;
        // the first row's series-a bar spans the whole axis, its series-b bar half of it
        int rowBlue = countRowsWith(image, blue);
        int rowOrange = countRowsWith(image, orange);
        assertTrue(rowBlue > 0 && rowOrange > 0, "both colours are drawn");
        int longestBlue = longestRun(image, blue);
        int longestOrange = longestRun(image, orange);
        assertEquals(0.5, (double) longestOrange / longestBlue, 0.03, longestOrange + " vs " + longestBlue);
    }

    @Test
    void valuesOutsideTheUnitIntervalOrMisshapenAreRefused() {
        assertThrows(IllegalParameterException.class, () -> new BarChart("t", List.of("r"), List.of("a"),
                new double[][] {{1.5}}));
        assertThrows(IllegalParameterException.class, () -> new BarChart("t", List.of("r"), List.of("a", "b"),
                new double[][] {{0.5}}));
        assertThrows(IllegalParameterException.class, () -> new BarChart("t", List.of("r"), List.of("a"),
                new double[][] {{0.5}}).render(10, 10));
    }

    private static int countRowsWith(BufferedImage image, int rgb) {
        int rows = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                if ((image.getRGB(x, y) & 0xffffff) == rgb) {
                    rows++;
                    break;
                }
            }
        }
        return rows;
    }

    private static int longestRun(BufferedImage image, int rgb) {
        int best = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            int run = 0;
            for (int x = 0; x < image.getWidth(); x++) {
                run = (image.getRGB(x, y) & 0xffffff) == rgb ? run + 1 : 0;
                best = Math.max(best, run);
            }
        }
        return best;
    }
}
