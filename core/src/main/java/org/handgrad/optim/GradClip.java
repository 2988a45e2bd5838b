package org.handgrad.optim;

import java.util.List;
import org.handgrad.nn.Parameter;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * Gradient clipping by global norm (Pascanu et al. 2013), with the semantics of PyTorch's {@code
 * torch.nn.utils.clip_grad_norm_}: the norm is taken over all gradients together, as if they were
 * one vector, and every gradient is scaled by the same factor, so the update keeps its direction.
 */
public final class GradClip {
  private GradClip() {}

  /**
   * Rescales the gradients in place so that their global L2 norm is at most about {@code maxNorm}:
   * with {@code norm = sqrt(sum of all grad^2)}, every gradient is multiplied by {@code maxNorm /
   * (norm + 1e-6)} when that factor is below 1 (PyTorch's formula, the 1e-6 guards against a zero
   * norm), and left untouched otherwise.
   *
   * <p>The norm is accumulated in double for float32 gradients too (PyTorch accumulates float32
   * norms in float32, so the returned norm can differ from PyTorch's in the 7th digit).
   *
   * @param params the parameters whose gradients are clipped together
   * @param maxNorm the largest allowed norm, finite and &gt; 0
   * @return the global norm before clipping (useful to log: spikes announce divergence)
   * @throws ArithmeticException when the norm is NaN or infinite, naming the first parameter whose
   *     gradient is not finite; gradients are left unchanged then (PyTorch's {@code
   *     error_if_nonfinite=True} behaviour)
   */
  public static double clipByGlobalNorm(List<Parameter> params, double maxNorm) {
    if (!(maxNorm > 0) || Double.isInfinite(maxNorm)) {
      throw new IllegalArgumentException(
          "clipByGlobalNorm: maxNorm must be finite and > 0, got " + maxNorm);
    }
    double norm = globalNorm(params);
    if (!Double.isFinite(norm)) {
      String culprit =
          NonFinite.firstNonFiniteGrad(params).map(NonFinite.Finding::toString).orElse("none");
      throw new ArithmeticException(
          "clipByGlobalNorm: gradient norm is " + norm + "; first non-finite gradient: " + culprit);
    }
    double scale = maxNorm / (norm + 1e-6);
    if (scale < 1) {
      for (Parameter p : params) {
        scale(p.grad(), scale);
      }
    }
    return norm;
  }

  /**
   * The global L2 norm of all gradients, {@code sqrt(sum over params of sum(grad^2))}, or NaN /
   * infinity when a gradient is not finite.
   */
  public static double globalNorm(List<Parameter> params) {
    double sum = 0;
    for (Parameter p : params) {
      sum += sumOfSquares(p.grad(), 1.0);
    }
    if (sum == Double.POSITIVE_INFINITY) {
      // All squares are finite or a NaN would have propagated; if the sum overflowed although
      // every element is finite (float64 values above ~1e154), redo it scaled by the largest
      // magnitude, as LAPACK's dnrm2 does, so a huge but finite norm is reported as such.
      double maxAbs = 0;
      for (Parameter p : params) {
        maxAbs = Math.max(maxAbs, maxAbs(p.grad()));
      }
      if (Double.isFinite(maxAbs)) {
        double scaled = 0;
        for (Parameter p : params) {
          scaled += sumOfSquares(p.grad(), 1 / maxAbs);
        }
        return maxAbs * Math.sqrt(scaled);
      }
    }
    return Math.sqrt(sum);
  }

  private static double sumOfSquares(Tensor g, double k) {
    int n = g.size();
    int off = g.offset();
    double s = 0;
    if (g.dtype() == DType.FLOAT32) {
      float[] a = g.floatStorage();
      for (int i = 0; i < n; i++) {
        double x = a[off + i] * k;
        s += x * x;
      }
    } else {
      double[] a = g.doubleStorage();
      for (int i = 0; i < n; i++) {
        double x = a[off + i] * k;
        s += x * x;
      }
    }
    return s;
  }

  private static double maxAbs(Tensor g) {
    int n = g.size();
    int off = g.offset();
    double m = 0;
    if (g.dtype() == DType.FLOAT32) {
      float[] a = g.floatStorage();
      for (int i = 0; i < n; i++) {
        m = Math.max(m, Math.abs(a[off + i]));
      }
    } else {
      double[] a = g.doubleStorage();
      for (int i = 0; i < n; i++) {
        m = Math.max(m, Math.abs(a[off + i]));
      }
    }
    return m;
  }

  private static void scale(Tensor g, double k) {
    int n = g.size();
    int off = g.offset();
    if (g.dtype() == DType.FLOAT32) {
      float[] a = g.floatStorage();
      float kf = (float) k;
      for (int i = 0; i < n; i++) {
        a[off + i] *= kf;
      }
    } else {
      double[] a = g.doubleStorage();
      for (int i = 0; i < n; i++) {
        a[off + i] *= k;
      }
    }
  }
}
