package dev.ivl.examples.experiment;

import dev.ivl.core.IllegalParameterException;
import dev.ivl.core.IvlException;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * A grouped horizontal bar chart of scores in [0, 1], drawn with Java2D in headless mode and written as PNG: one
 * group of bars per row (labelled on the left), one bar per series (coloured, with a legend), values printed at the
 * bar ends.
 *
 * @param title the title above the chart
 * @param rows the row labels, top to bottom
 * @param series the series names, one colour each
 * @param values {@code values[row][series]}, each in [0, 1]
 */
public record BarChart(String title, List<String> rows, List<String> series, double[][] values) {
    private static final Color[] COLOURS = {new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c),
        new Color(0xd62728), new Color(0x9467bd)};

    /**
     * Validates the shape of the values.
     *
     * @throws IllegalParameterException if the values do not have one entry per row and series, a value is outside
     *     [0, 1], or there are more series than colours
     */
    public BarChart {
        rows = List.copyOf(rows);
        series = List.copyOf(series);
        if (series.isEmpty() || series.size() > COLOURS.length) {
            throw new IllegalParameterException("series", series, "must have 1 to " + COLOURS.length + " names");
        }
        if (values.length != rows.size()) {
            throw new IllegalParameterException("values", values.length + " rows", "must have one per row ("
                    + rows.size() + ")");
        }
        for (double[] row : values) {
            if (row.length != series.size()) {
                throw new IllegalParameterException("values", row.length + " columns", "must have one per series ("
                        + series.size() + ")");
            }
            for (double v : row) {
                if (!(v >= 0 && v <= 1)) {
                    throw new IllegalParameterException("values", v, "must be in [0, 1]");
                }
            }
        }
    }

    /**
     * Draws the chart.
     *
     * @param width the image width in pixels; ≥ 200
     * @param height the image height in pixels; ≥ 100
     * @return the image
     */
    public BufferedImage render(int width, int height) {
        if (width < 200 || height < 100) {
            throw new IllegalParameterException("size", width + "x" + height, "must be at least 200x100");
        }
        System.setProperty("java.awt.headless", "true");
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, height);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
            g.setColor(Color.BLACK);
            g.drawString(title, 10, 20);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
            FontMetrics fm = g.getFontMetrics();
            int labelWidth = rows.stream().mapToInt(fm::stringWidth).max().orElse(0) + 12;
            int left = Math.min(labelWidth, width / 2);
            int right = width - 40;
            int top = 34;
            int legendHeight = 22;
            int bottom = height - legendHeight - 18;
            double group = (double) (bottom - top) / Math.max(1, rows.size());
            double bar = Math.max(1, group * 0.8 / series.size());
            // grid and axis labels at 0, 0.25, ..., 1
            for (int k = 0; k <= 4; k++) {
                int x = left + (int) Math.round((right - left) * k / 4.0);
                g.setColor(new Color(0xdddddd));
                g.drawLine(x, top, x, bottom);
                g.setColor(Color.DARK_GRAY);
                String tick = String.format(Locale.ROOT, "%.2f", k / 4.0);
                g.drawString(tick, x - fm.stringWidth(tick) / 2, bottom + fm.getAscent() + 2);
            }
            for (int r = 0; r < rows.size(); r++) {
                double y0 = top + r * group + group * 0.1;
                g.setColor(Color.BLACK);
                g.drawString(rows.get(r), left - fm.stringWidth(rows.get(r)) - 6,
                        (int) (top + r * group + group / 2 + fm.getAscent() / 2.0 - 1));
                for (int s = 0; s < series.size(); s++) {
                    double v = values[r][s];
                    int y = (int) Math.round(y0 + s * bar);
                    int w = (int) Math.round((right - left) * v);
                    g.setColor(COLOURS[s]);
                    g.fillRect(left, y, Math.max(w, 1), Math.max(1, (int) Math.floor(bar) - 1));
                    if (bar >= fm.getAscent() - 2) {
                        g.setColor(Color.DARK_GRAY);
                        g.drawString(String.format(Locale.ROOT, "%.2f", v), left + w + 3,
                                (int) (y + bar / 2 + fm.getAscent() / 2.0 - 2));
                    }
                }
            }
            g.setColor(Color.BLACK);
            g.setStroke(new BasicStroke(1));
            g.drawLine(left, top, left, bottom);
            int x = left;
            int legendY = height - legendHeight + 4;
            for (int s = 0; s < series.size(); s++) {
                g.setColor(COLOURS[s]);
                g.fillRect(x, legendY, 12, 12);
                g.setColor(Color.BLACK);
                g.drawString(series.get(s), x + 16, legendY + 11);
                x += 16 + fm.stringWidth(series.get(s)) + 18;
            }
        } finally {
            g.dispose();
        }
        return image;
    }

    /**
     * Draws the chart and writes it as PNG.
     *
     * @param file the PNG file
     * @param width the width in pixels
     * @param height the height in pixels
     * @throws IvlException if the file cannot be written
     */
    public void writePng(Path file, int width, int height) {
        BufferedImage image = render(width, height);
        try {
            Path parent = file.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            if (!ImageIO.write(image, "png", file.toFile())) {
                throw new IvlException("no PNG writer in this Java runtime");
            }
        } catch (IOException e) {
            throw new IvlException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
