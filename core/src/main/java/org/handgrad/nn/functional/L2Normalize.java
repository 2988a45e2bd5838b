package org.handgrad.nn.functional;

import java.util.Objects;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * Row-wise L2 normalization, {@code out = x / max(||x||, eps)} along the last axis (PyTorch's
 * {@code F.normalize(x, dim=-1, eps=1e-12)}), the bottleneck of the DINO head.
 *
 * <pre>
 *   y = x / r,  r = ||x||                    (when ||x|| &gt; eps)
 *   dx = (dout - y (y . dout)) / r           the projection of dout off y, divided by r
 *   dx = dout / eps                          (when ||x|| &lt;= eps: the divisor is the constant eps)
 * </pre>
 *
 * <p>Dimension letters: an input (..., D) is R = size / D rows of D. Computed in float64; outputs
 * take the input's dtype.
 */
public final class L2Normalize {
  /** PyTorch's default floor on the norm. */
  public static final double EPS = 1e-12;

  private L2Normalize() {}

  /**
   * What {@link #l2NormalizeBackward} reads.
   *
   * @param out the normalized rows y, R x D values, float64
   * @param norms the divisor of each row, max(||x||, eps), R values
   * @param shape the input shape
   * @param dtype the input dtype
   */
  public record Cache(double[] out, double[] norms, int[] shape, DType dtype) {
    /** Checks the arrays are present. */
    public Cache {
      Objects.requireNonNull(out, "out");
      Objects.requireNonNull(norms, "norms");
      shape = shape.clone();
    }

    /** The input shape (a copy). */
    @Override
    public int[] shape() {
      return shape.clone();
    }
  }

  /**
   * Forward pass.
   *
   * @param x input, shape (..., D), float32 or float64, at least 1-D
   * @return out, the shape of x, each last-axis row of unit length (or x / eps for a near-zero row)
   */
  public static Forward<Cache> l2NormalizeForward(Tensor x) {
    Objects.requireNonNull(x, "l2Normalize: x is null");
    Elementwise.requireFloat("l2Normalize", "x", x);
    if (x.ndim() < 1 || x.size() == 0) {
      throw new IllegalArgumentException(
          "l2Normalize: expected a non-empty input (..., D), got " + x.shapeString());
    }
    int d = x.shape(x.ndim() - 1);
    double[] v = x.toDoubleArray();
    int rows = v.length / d;
    double[] norms = new double[rows];
    for (int r = 0; r < rows; r++) {
      double ss = 0;
      for (int j = 0; j < d; j++) {
        ss += v[r * d + j] * v[r * d + j];
      }
      norms[r] = Math.max(Math.sqrt(ss), EPS);
      for (int j = 0; j < d; j++) {
        v[r * d + j] /= norms[r];
      }
    }
    Tensor out = Tensor.of(v, x.shape());
    return new Forward<>(
        x.dtype() == DType.FLOAT64 ? out : out.to(x.dtype()),
        new Cache(v, norms, x.shape(), x.dtype()));
  }

  /**
   * Backward pass.
   *
   * @param dout upstream gradient, the shape of x
   * @param cache from the forward pass
   * @return dx, the shape and dtype of x
   */
  public static Tensor l2NormalizeBackward(Tensor dout, Cache cache) {
    int[] shape = cache.shape();
    if (!java.util.Arrays.equals(dout.shape(), shape)) {
      throw new IllegalArgumentException(
          "l2Normalize backward: expected dout "
              + java.util.Arrays.toString(shape)
              + ", got "
              + dout.shapeString());
    }
    int d = shape[shape.length - 1];
    double[] g = dout.toDoubleArray();
    double[] y = cache.out();
    double[] norms = cache.norms();
    double[] dx = new double[g.length];
    for (int r = 0; r < norms.length; r++) {
      int o = r * d;
      if (norms[r] <= EPS) {
        for (int j = 0; j < d; j++) {
          dx[o + j] = g[o + j] / EPS;
        }
        continue;
      }
      double dot = 0;
      for (int j = 0; j < d; j++) {
        dot += y[o + j] * g[o + j];
      }
      for (int j = 0; j < d; j++) {
        dx[o + j] = (g[o + j] - y[o + j] * dot) / norms[r];
      }
    }
    Tensor out = Tensor.of(dx, shape);
    return cache.dtype() == DType.FLOAT64 ? out : out.to(cache.dtype());
  }
}
