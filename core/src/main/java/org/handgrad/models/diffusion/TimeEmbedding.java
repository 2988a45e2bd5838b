package org.handgrad.models.diffusion;

import java.util.Objects;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * The sinusoidal embedding of a diffusion time, the transformer's positional encoding (Vaswani et
 * al. 2017) applied to t, as in DDPM (Ho et al. 2020) and the reference U-Net of {@code
 * shared/bench/torch_generative.py}: with {@code half = dim / 2} and {@code f_i = exp(-ln(10000) i
 * / half)}, {@code emb[n] = [sin(t_n f_0), ..., sin(t_n f_{half-1}), cos(t_n f_0), ..., cos(t_n
 * f_{half-1})]}.
 *
 * <p>It has no parameters and is not differentiated: t is data (a step index or a flow time), so
 * the embedding enters the U-Net's tape as a constant and the gradient stops at the time MLP that
 * reads it.
 */
public final class TimeEmbedding {
  private TimeEmbedding() {}

  /**
   * Embeds a batch of times.
   *
   * <p>In float32 the frequencies, the products t f_i and the results are rounded to float32 at the
   * points PyTorch's float32 code rounds them ({@code torch.arange(half, dtype=float32) / half},
   * {@code t.float() * freqs}), so the two agree to a few float32 ulp even for t near 1000, where
   * an argument computed in double would differ by ~6e-5 from PyTorch's.
   *
   * @param t times, length N, finite
   * @param dim embedding width, even and >= 2
   * @param dtype float32 or float64
   * @return the embedding, shape (N, dim)
   * @throws IllegalArgumentException for an odd or too small dim, a non-finite time, or an int32
   *     dtype
   */
  public static Tensor sinusoidal(double[] t, int dim, DType dtype) {
    Objects.requireNonNull(t, "sinusoidal: t");
    Objects.requireNonNull(dtype, "sinusoidal: dtype");
    if (dim < 2 || dim % 2 != 0) {
      throw new IllegalArgumentException(
          "sinusoidal: the embedding width must be even and >= 2, got " + dim);
    }
    if (!dtype.isFloating()) {
      throw new IllegalArgumentException("sinusoidal: dtype must be float32 or float64");
    }
    int n = t.length, half = dim / 2;
    for (int i = 0; i < n; i++) {
      if (!Double.isFinite(t[i])) {
        throw new IllegalArgumentException("sinusoidal: time " + i + " is " + t[i]);
      }
    }
    double logBase = Math.log(10000);
    if (dtype == DType.FLOAT32) {
      float[] out = new float[n * dim];
      float[] freq = new float[half];
      for (int i = 0; i < half; i++) {
        freq[i] = (float) Math.exp((float) -logBase * i / half);
      }
      for (int r = 0; r < n; r++) {
        float tr = (float) t[r];
        for (int i = 0; i < half; i++) {
          float a = tr * freq[i];
          out[r * dim + i] = (float) Math.sin(a);
          out[r * dim + half + i] = (float) Math.cos(a);
        }
      }
      return Tensor.of(out, n, dim);
    }
    double[] out = new double[n * dim];
    for (int r = 0; r < n; r++) {
      for (int i = 0; i < half; i++) {
        double a = t[r] * Math.exp(-logBase * i / half);
        out[r * dim + i] = Math.sin(a);
        out[r * dim + half + i] = Math.cos(a);
      }
    }
    return Tensor.of(out, n, dim);
  }
}
