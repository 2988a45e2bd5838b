package org.handgrad.app.generate;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.handgrad.io.Png;
import org.handgrad.models.diffusion.Trajectory;
import org.handgrad.tensor.Tensor;

/**
 * PNG grids of generated images. Unlike CS231n's {@code visualize_grid}, which rescales each tile
 * to its own range, samples keep the data range: [-1, 1] maps to 0..255 and values outside are
 * clipped, so a washed-out or saturated sample shows as what it is.
 */
public final class SampleGrid {
  private SampleGrid() {}

  private static final int PAD = 2;

  /**
   * Tiles images row by row, {@code cols} per row, with 2 white pixels between tiles.
   *
   * @param x images, shape (N, C, H, W), values in [-1, 1]
   * @param cols tiles per row, >= 1
   * @return the grid, shape (C, rows H + (rows - 1) 2, cols W + (cols - 1) 2), on 0..255
   */
  public static Tensor grid(Tensor x, int cols) {
    if (x.ndim() != 4 || x.shape(0) == 0 || cols < 1) {
      throw new IllegalArgumentException(
          "sample grid: expected images (N, C, H, W) with N > 0 and cols >= 1, got "
              + x.shapeString()
              + ", cols "
              + cols);
    }
    int n = x.shape(0);
    int c = x.shape(1);
    int h = x.shape(2);
    int w = x.shape(3);
    int rows = (n + cols - 1) / cols;
    int gh = rows * h + (rows - 1) * PAD;
    int gw = cols * w + (cols - 1) * PAD;
    double[] src = x.contiguous().toDoubleArray();
    double[] out = new double[c * gh * gw];
    java.util.Arrays.fill(out, 255);
    for (int i = 0; i < n; i++) {
      int top = (i / cols) * (h + PAD);
      int left = (i % cols) * (w + PAD);
      for (int ch = 0; ch < c; ch++) {
        for (int r = 0; r < h; r++) {
          for (int q = 0; q < w; q++) {
            double v = src[((i * c + ch) * h + r) * w + q];
            out[(ch * gh + top + r) * gw + left + q] = Math.min(255, Math.max(0, (v + 1) * 127.5));
          }
        }
      }
    }
    return Tensor.of(out, c, gh, gw);
  }

  /** Writes {@link #grid} to a PNG. */
  public static void write(Path png, Tensor x, int cols) throws IOException {
    Png.write(png, grid(x, cols));
  }

  /**
   * Writes the trajectory of sample {@code index} as one strip, starting noise on the left.
   *
   * @param frames the recorded frames, each (N, C, H, W)
   */
  public static void writeStrip(Path png, List<Trajectory.Frame> frames, int index)
      throws IOException {
    Tensor first = frames.get(0).x();
    int c = first.shape(1);
    int h = first.shape(2);
    int w = first.shape(3);
    Tensor strip = Tensor.zeros(first.dtype(), frames.size(), c, h, w);
    for (int k = 0; k < frames.size(); k++) {
      strip.slice(0, k, k + 1).copyFrom(frames.get(k).x().slice(0, index, index + 1));
    }
    write(png, strip, frames.size());
  }
}
