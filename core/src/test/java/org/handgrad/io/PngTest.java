package org.handgrad.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import javax.imageio.ImageIO;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PngTest {
  @TempDir Path tmp;

  @Test
  void greyValuesAreClippedAndRoundedHalfToEven() throws IOException {
    Tensor img = Tensor.of(new double[] {-5, 0.4, 0.6, 254.5, 300, 1.5}, 2, 3);
    Path f = tmp.resolve("g.png");
    Png.write(f, img);
    BufferedImage decoded = ImageIO.read(f.toFile());
    assertEquals(3, decoded.getWidth());
    assertEquals(2, decoded.getHeight());
    Tensor back = Png.read(f);
    assertArrayEquals(new int[] {1, 2, 3}, back.shape());
    assertArrayEquals(new float[] {0, 0, 1, 254, 255, 2}, back.toFloatArray());
  }

  @Test
  void rgbRoundTripsChannelsFirstAndLast() throws IOException {
    int h = 5;
    int w = 7;
    Tensor chw = Tensor.zeros(DType.FLOAT32, 3, h, w);
    Tensor hwc = Tensor.zeros(DType.FLOAT64, h, w, 3);
    for (int c = 0; c < 3; c++) {
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          double v = (37 * c + 11 * y + 5 * x) % 256;
          chw.set(v, c, y, x);
          hwc.set(v, y, x, c);
        }
      }
    }
    Path a = tmp.resolve("a.png");
    Path b = tmp.resolve("sub/b.png");
    Png.write(a, chw);
    Png.writeChannelsLast(b, hwc);
    assertArrayEquals(chw.toFloatArray(), Png.read(a).toFloatArray());
    assertArrayEquals(chw.toFloatArray(), Png.read(b).toFloatArray());
    assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
    byte[] signature = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    assertArrayEquals(signature, Arrays.copyOf(Files.readAllBytes(a), 8), "PNG signature");
  }

  @Test
  void badImagesAreRejected() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Png.write(tmp.resolve("x.png"), Tensor.zeros(2, 4, 4)));
    assertTrue(e.getMessage().contains("(2, 4, 4)"), e.getMessage());
    Tensor nan = Tensor.zeros(2, 2);
    nan.set(Double.NaN, 1, 0);
    e = assertThrows(IllegalArgumentException.class, () -> Png.toImage(nan));
    assertTrue(e.getMessage().contains("NaN at flat index 2"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Png.toImage(Tensor.zeros(0, 3)));
    assertThrows(IOException.class, () -> Png.read(writeGarbage()));
  }

  private Path writeGarbage() throws IOException {
    Path f = tmp.resolve("not.png");
    Files.write(f, new byte[] {1, 2, 3});
    return f;
  }
}
