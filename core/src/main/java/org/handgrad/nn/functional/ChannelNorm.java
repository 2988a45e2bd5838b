package org.handgrad.nn.functional;

import org.handgrad.kernels.NormColumns;
import org.handgrad.kernels.NormPlanes;
import org.handgrad.kernels.Parallel;
import org.handgrad.nn.functional.BatchNormParam.Mode;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * The batch normalization engine behind {@link BatchNorm} (x (N, D)) and {@link SpatialBatchNorm}
 * (x (N, C, H, W)): both normalise each channel c over every other axis, so both are the layout (N,
 * C, HW) of contiguous storage, with HW = 1 for (N, D). The maths is per channel on small double
 * arrays; the passes over the data go to the kernels, columns for HW = 1 and planes otherwise (both
 * read NCHW storage in place, no transposed copy).
 *
 * <p>Dimension letters: N batch, C channels (D features when HW = 1), HW = H*W, M = N*HW values per
 * channel. Arguments are validated by the public layers; this class asserts nothing further.
 */
final class ChannelNorm {
  private ChannelNorm() {}

  /**
   * Output and the per-channel statistics it was normalised with.
   *
   * @param out normalised output, the shape of x
   * @param mean mean used, shape (C,), float64
   * @param var biased variance used, shape (C,), float64
   * @param invStd 1 / sqrt(var + eps), shape (C,), float64
   */
  record Result(Tensor out, Tensor mean, Tensor var, Tensor invStd) {}

  /**
   * Gradients of one batch normalization.
   *
   * @param dx shape of x
   * @param dgamma shape (C,)
   * @param dbeta shape (C,)
   */
  record Grads(Tensor dx, Tensor dgamma, Tensor dbeta) {}

  /**
   * Forward pass. TRAIN: batch statistics, running buffers updated in place. TEST: running
   * statistics.
   *
   * @param op layer name for messages
   * @param x contiguous input, N*C*HW values
   * @param gamma scale, shape (C,)
   * @param beta shift, shape (C,)
   */
  static Result forward(
      String op, Tensor x, int n, int c, int hw, Tensor gamma, Tensor beta, BatchNormParam p) {
    double[] mean;
    double[] var;
    if (p.mode() == Mode.TRAIN) {
      if ((long) n * hw < 2) {
        // One value per channel: the batch variance is 0 and the output is beta whatever x is.
        // PyTorch refuses this too; it is almost always a batch of one by mistake.
        throw new IllegalArgumentException(
            op
                + ": TRAIN mode needs more than one value per channel to take batch statistics, got"
                + " x "
                + x.shapeString());
      }
      mean = new double[c];
      var = new double[c];
      batchStatistics(mean, var, x, n, c, hw);
      p.update(mean, var);
    } else {
      if (!p.hasStatistics()) {
        throw new IllegalStateException(
            op
                + ": TEST mode before any running statistics exist; run TRAIN-mode forwards first"
                + " or load statistics with BatchNormParam.loadStatistics");
      }
      mean = p.runningMean().toDoubleArray();
      var = p.runningVar().toDoubleArray();
    }
    double[] invStd = new double[c];
    double[] scale = new double[c];
    double[] g = gamma.toDoubleArray();
    for (int j = 0; j < c; j++) {
      invStd[j] = 1 / Math.sqrt(var[j] + p.eps());
      scale[j] = g[j] * invStd[j];
    }
    double[] bias = beta.toDoubleArray();
    Tensor out = Tensor.zerosLike(x);
    affine(out, x, n, c, hw, mean, scale, bias);
    return new Result(out, vector(mean), vector(var), vector(invStd));
  }

  /**
   * Closed-form backward. With xhat = (x - mean) * invStd and M values per channel,
   *
   * <pre>
   *   dbeta = sum dy,   dgamma = sum dy * xhat,
   *   dx    = gamma * invStd * (dy - dbeta / M - xhat * dgamma / M)     (TRAIN)
   *   dx    = gamma * invStd * dy                                       (TEST: stats are constants)
   * </pre>
   *
   * The TRAIN line is the graph backward (BatchNorm.batchnormBackward) with the mean and variance
   * paths summed out: d mean / dx = 1/M, d var / dx = 2 (x - mean) / M.
   *
   * @param x contiguous cached input
   * @param mean statistics used forward, C values
   * @param invStd 1 / sqrt(var + eps) used forward, C values
   */
  static Grads backward(
      Tensor dout,
      Tensor x,
      Tensor gamma,
      double[] mean,
      double[] invStd,
      Mode mode,
      int n,
      int c,
      int hw) {
    Tensor dy = dout.contiguous();
    double[] sdy = new double[c];
    double[] sdyx = new double[c];
    gradSums(sdy, sdyx, dy, x, n, c, hw, mean);
    double[] g = gamma.toDoubleArray();
    double m = (double) n * hw;
    double[] dgamma = new double[c];
    double[] a = new double[c];
    double[] b = new double[c];
    double[] k = new double[c];
    for (int j = 0; j < c; j++) {
      dgamma[j] = sdyx[j] * invStd[j];
      a[j] = g[j] * invStd[j];
      if (mode == Mode.TRAIN) {
        b[j] = -a[j] * invStd[j] * dgamma[j] / m;
        k[j] = -a[j] * sdy[j] / m;
      }
    }
    Tensor dx = Tensor.zerosLike(x);
    linear(dx, dy, x, n, c, hw, a, mean, b, k);
    return new Grads(dx, vector(dgamma).to(gamma.dtype()), vector(sdy).to(gamma.dtype()));
  }

  /** Mean and biased variance of every channel, by sums shifted by the channel's first value. */
  private static void batchStatistics(double[] mean, double[] var, Tensor x, int n, int c, int hw) {
    boolean f32 = x.dtype() == DType.FLOAT32;
    int off = x.offset();
    double[] shift = new double[c];
    for (int j = 0; j < c; j++) {
      shift[j] = x.getFlat(j * hw); // x[0, j] or x[0, j, 0, 0]
    }
    double[] s1 = new double[c];
    double[] s2 = new double[c];
    if (hw == 1) {
      if (f32) {
        NormColumns.sSums(s1, s2, x.floatStorage(), off, n, c, shift, 0, c);
      } else {
        NormColumns.dSums(s1, s2, x.doubleStorage(), off, n, c, shift, 0, c);
      }
    } else {
      double[] p1 = new double[n * c];
      double[] p2 = new double[n * c];
      double[] planeShift = perPlane(shift, n, c);
      if (f32) {
        float[] xs = x.floatStorage();
        forPlanes(n * c, hw, (lo, hi) -> NormPlanes.sSums(p1, p2, xs, off, hw, planeShift, lo, hi));
      } else {
        double[] xs = x.doubleStorage();
        forPlanes(n * c, hw, (lo, hi) -> NormPlanes.dSums(p1, p2, xs, off, hw, planeShift, lo, hi));
      }
      sumOverBatch(s1, p1, n, c);
      sumOverBatch(s2, p2, n, c);
    }
    double m = (double) n * hw;
    for (int j = 0; j < c; j++) {
      double d1 = s1[j] / m;
      mean[j] = shift[j] + d1;
      // var = E[(x-k)^2] - (E[x-k])^2 >= 0; clamp the rounding residue of a constant channel.
      var[j] = Math.max(0, s2[j] / m - d1 * d1);
    }
  }

  private static void affine(
      Tensor out, Tensor x, int n, int c, int hw, double[] mean, double[] scale, double[] bias) {
    boolean f32 = x.dtype() == DType.FLOAT32;
    if (hw == 1) {
      if (f32) {
        NormColumns.sAffine(
            out.floatStorage(), 0, x.floatStorage(), x.offset(), n, c, mean, scale, bias, 0, c);
      } else {
        NormColumns.dAffine(
            out.doubleStorage(), 0, x.doubleStorage(), x.offset(), n, c, mean, scale, bias, 0, c);
      }
      return;
    }
    double[] mu = perPlane(mean, n, c);
    double[] s = perPlane(scale, n, c);
    double[] b = perPlane(bias, n, c);
    int xo = x.offset();
    if (f32) {
      float[] os = out.floatStorage(), xs = x.floatStorage();
      forPlanes(n * c, hw, (lo, hi) -> NormPlanes.sAffine(os, 0, xs, xo, hw, mu, s, b, lo, hi));
    } else {
      double[] os = out.doubleStorage(), xs = x.doubleStorage();
      forPlanes(n * c, hw, (lo, hi) -> NormPlanes.dAffine(os, 0, xs, xo, hw, mu, s, b, lo, hi));
    }
  }

  private static void gradSums(
      double[] sdy, double[] sdyx, Tensor dy, Tensor x, int n, int c, int hw, double[] mean) {
    boolean f32 = x.dtype() == DType.FLOAT32;
    if (hw == 1) {
      if (f32) {
        NormColumns.sGradSums(
            sdy,
            sdyx,
            dy.floatStorage(),
            dy.offset(),
            x.floatStorage(),
            x.offset(),
            n,
            c,
            mean,
            0,
            c);
      } else {
        NormColumns.dGradSums(
            sdy,
            sdyx,
            dy.doubleStorage(),
            dy.offset(),
            x.doubleStorage(),
            x.offset(),
            n,
            c,
            mean,
            0,
            c);
      }
      return;
    }
    double[] mu = perPlane(mean, n, c);
    double[] p1 = new double[n * c];
    double[] p2 = new double[n * c];
    int dyo = dy.offset(), xo = x.offset();
    if (f32) {
      float[] dys = dy.floatStorage(), xs = x.floatStorage();
      forPlanes(
          n * c, hw, (lo, hi) -> NormPlanes.sGradSums(p1, p2, dys, dyo, xs, xo, hw, mu, lo, hi));
    } else {
      double[] dys = dy.doubleStorage(), xs = x.doubleStorage();
      forPlanes(
          n * c, hw, (lo, hi) -> NormPlanes.dGradSums(p1, p2, dys, dyo, xs, xo, hw, mu, lo, hi));
    }
    sumOverBatch(sdy, p1, n, c);
    sumOverBatch(sdyx, p2, n, c);
  }

  private static void linear(
      Tensor dx,
      Tensor dy,
      Tensor x,
      int n,
      int c,
      int hw,
      double[] a,
      double[] mean,
      double[] b,
      double[] k) {
    boolean f32 = x.dtype() == DType.FLOAT32;
    if (hw == 1) {
      if (f32) {
        NormColumns.sLinear(
            dx.floatStorage(),
            0,
            dy.floatStorage(),
            dy.offset(),
            x.floatStorage(),
            x.offset(),
            n,
            c,
            a,
            mean,
            b,
            k,
            0,
            c);
      } else {
        NormColumns.dLinear(
            dx.doubleStorage(),
            0,
            dy.doubleStorage(),
            dy.offset(),
            x.doubleStorage(),
            x.offset(),
            n,
            c,
            a,
            mean,
            b,
            k,
            0,
            c);
      }
      return;
    }
    double[] pa = perPlane(a, n, c);
    double[] pm = perPlane(mean, n, c);
    double[] pb = perPlane(b, n, c);
    double[] pk = perPlane(k, n, c);
    int dyo = dy.offset(), xo = x.offset();
    if (f32) {
      float[] dxs = dx.floatStorage(), dys = dy.floatStorage(), xs = x.floatStorage();
      forPlanes(
          n * c,
          hw,
          (lo, hi) -> NormPlanes.sLinear(dxs, 0, dys, dyo, xs, xo, hw, pa, pm, pb, pk, lo, hi));
    } else {
      double[] dxs = dx.doubleStorage(), dys = dy.doubleStorage(), xs = x.doubleStorage();
      forPlanes(
          n * c,
          hw,
          (lo, hi) -> NormPlanes.dLinear(dxs, 0, dys, dyo, xs, xo, hw, pa, pm, pb, pk, lo, hi));
    }
  }

  /**
   * Runs a plane kernel over planes [0, planes) on the {@link Parallel} threads, about 16K values
   * per chunk. The plane kernels write per-plane outputs only and the callers combine per-plane
   * sums in a fixed order, so results do not depend on the thread count.
   */
  static void forPlanes(int planes, int hw, Parallel.RangeBody kernel) {
    Parallel.forRange(planes, Math.max(1, (1 << 14) / Math.max(1, hw)), (long) planes * hw, kernel);
  }

  /** Repeats per-channel values for every plane n*C + c. */
  private static double[] perPlane(double[] perChannel, int n, int c) {
    double[] out = new double[n * c];
    for (int i = 0; i < n; i++) {
      System.arraycopy(perChannel, 0, out, i * c, c);
    }
    return out;
  }

  /** Sums per-plane values (plane n*C + c) over n into out (C values), in a fixed order. */
  private static void sumOverBatch(double[] out, double[] perPlane, int n, int c) {
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < c; j++) {
        out[j] += perPlane[i * c + j];
      }
    }
  }

  private static Tensor vector(double[] values) {
    return Tensor.of(values, values.length);
  }
}
