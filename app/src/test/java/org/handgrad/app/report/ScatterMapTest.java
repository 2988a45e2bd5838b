package org.handgrad.app.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hyperparameter-search scatter map: a readable PNG, viridis colours, clear errors. */
class ScatterMapTest {
  @TempDir Path tmp;

  @Test
  void writesAPngWithNaNPointsAllowed() throws IOException {
    Path png = tmp.resolve("s.png");
    ScatterMap.write(
        "t",
        "x",
        "y",
        new double[] {-5, -3, -1},
        new double[] {-4, 0, 2},
        new double[] {0.1, Double.NaN, 0.8},
        "acc",
        png);
    BufferedImage img = ImageIO.read(png.toFile());
    assertEquals(900, img.getWidth());
    assertEquals(640, img.getHeight());
  }

  @Test
  void viridisEndsAreMatplotlibs() {
    assertEquals(new Color(0x440154), ScatterMap.viridis(0));
    assertEquals(new Color(0xfde725), ScatterMap.viridis(1));
    assertEquals(new Color(0x21918c), ScatterMap.viridis(0.5));
  }

  @Test
  void mismatchedLengthsNameThePlotAndTheSizes() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                ScatterMap.write(
                    "search",
                    "x",
                    "y",
                    new double[] {1, 2},
                    new double[] {1},
                    new double[] {1, 2},
                    "v",
                    tmp.resolve("bad.png")));
    assertTrue(
        e.getMessage().contains("search") && e.getMessage().contains("2, 1, 2"), e.getMessage());
  }
}
