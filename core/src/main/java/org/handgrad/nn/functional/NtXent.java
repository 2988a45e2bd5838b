package org.handgrad.nn.functional;

import java.util.Objects;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * SimCLR's NT-Xent loss (normalized temperature-scaled cross-entropy; Chen et al. 2020, eq. 1) as a
 * forward/backward pair, plus CS231n's naive and vectorized versions of the same loss.
 *
 * <p>Convention (CS231n's {@code simclr_loss_naive(out_left, out_right, tau)}): the batch of 2N
 * projections is {@code z = cat([out_left, out_right])}, so the two views of image k are rows k and
 * k + N. With u_i = z_i / ||z_i|| (L2 normalisation is part of the pair) and s_ij = u_i . u_j /
 * tau:
 *
 * <pre>
 *   l(i, p) = -s_ip + log sum_{k != i} exp(s_ik)       p = i + N for i &lt; N, i - N otherwise
 *   L       = 1/(2N) sum_i l(i, p(i))                  the mean over all 2N anchors
 * </pre>
 *
 * <p>Gradient (derived by hand; see docs/ssl.md): with P the row softmax of s over k != i (P_ii =
 * 0) and Y the positive indicator (Y_{i,p(i)} = 1), dL/ds = G = (P - Y) / (2N); since s = U U^T /
 * tau, dL/dU = (G + G^T) U / tau; and the normalisation's Jacobian gives dz_i = (du_i - u_i (u_i .
 * du_i)) / ||z_i||, the component of du_i orthogonal to u_i.
 *
 * <p>Numerics: the norm is clamped at {@value #EPS} as in PyTorch's {@code F.normalize}, and the
 * log-sum-exp subtracts each row's maximum (CS231n's vectorized version exponentiates directly,
 * which overflows for small temperatures: |s_ik| &lt;= 1/tau). Both dtypes compute in float64 (the
 * 2N x 2N matrix is small next to the encoder) and return tensors of the input's dtype.
 *
 * <p>Dimension letters: N images, 2N views, D projection size.
 */
public final class NtXent {
  /** The norm clamp of PyTorch's {@code F.normalize}. */
  public static final double EPS = 1e-12;

  private NtXent() {}

  /**
   * What {@link #ntXentBackward} reads.
   *
   * @param u the normalised rows, shape (2N, D), float64, row-major
   * @param norms the clamped row norms, length 2N
   * @param p the softmax over k != i of each row of s (diagonal 0), shape (2N, 2N), row-major
   * @param rows 2N
   * @param d D
   * @param temperature tau
   * @param dtype the dtype of z
   */
  public record Cache(
      double[] u, double[] norms, double[] p, int rows, int d, double temperature, DType dtype) {
    /** Validates presence. */
    public Cache {
      Objects.requireNonNull(u, "u");
      Objects.requireNonNull(norms, "norms");
      Objects.requireNonNull(p, "p");
      Objects.requireNonNull(dtype, "dtype");
    }
  }

  /**
   * Forward pass: the mean NT-Xent loss over the 2N anchors.
   *
   * @param z projections, shape (2N, D), float32 or float64; rows k and k + N are the two views of
   *     image k
   * @param temperature tau, &gt; 0
   * @return the loss, a 0-d tensor of z's dtype, and the cache
   * @throws IllegalArgumentException on a z that is not 2-D with an even number &gt;= 2 of rows, or
   *     on a temperature that is not positive and finite
   */
  public static Forward<Cache> ntXentForward(Tensor z, double temperature) {
    check("ntXent", z, temperature);
    int rows = z.shape(0);
    int d = z.shape(1);
    int n = rows / 2;
    double[] norms = new double[rows];
    double[] u = normalizeRows(z.toDoubleArray(), rows, d, norms);
    double[] p = new double[rows * rows];
    double total = 0;
    for (int i = 0; i < rows; i++) {
      int pos = i < n ? i + n : i - n;
      int ri = i * rows;
      double max = Double.NEGATIVE_INFINITY;
      for (int k = 0; k < rows; k++) {
        if (k != i) {
          double s = dot(u, i * d, u, k * d, d) / temperature;
          p[ri + k] = s;
          max = Math.max(max, s);
        }
      }
      double sum = 0;
      for (int k = 0; k < rows; k++) {
        if (k != i) {
          double e = Math.exp(p[ri + k] - max);
          sum += e;
          p[ri + k] = e;
        }
      }
      // l(i) = -s_ip + log sum exp(s_ik) = -(s_ip - max) + log sum exp(s_ik - max)
      total -= Math.log(p[ri + pos] / sum);
      for (int k = 0; k < rows; k++) {
        p[ri + k] /= sum;
      }
    }
    double loss = total / rows;
    return new Forward<>(
        Tensor.scalar(z.dtype(), loss), new Cache(u, norms, p, rows, d, temperature, z.dtype()));
  }

  /**
   * Backward pass (see the class comment for the formula).
   *
   * @param dout upstream gradient of the loss (1 when the loss is the objective)
   * @param cache from {@link #ntXentForward}
   * @return dz, shape (2N, D), the dtype of z
   */
  public static Tensor ntXentBackward(double dout, Cache cache) {
    int rows = cache.rows();
    int d = cache.d();
    int n = rows / 2;
    double[] u = cache.u();
    double[] p = cache.p();
    // G = dout (P - Y) / 2N; dU = (G + G^T) U / tau.
    double scale = dout / rows;
    double[] g = new double[rows * rows];
    for (int i = 0; i < rows; i++) {
      int pos = i < n ? i + n : i - n;
      for (int k = 0; k < rows; k++) {
        g[i * rows + k] = scale * (p[i * rows + k] - (k == pos ? 1 : 0));
      }
    }
    double[] du = new double[rows * d];
    for (int i = 0; i < rows; i++) {
      for (int k = 0; k < rows; k++) {
        double w = (g[i * rows + k] + g[k * rows + i]) / cache.temperature();
        if (w != 0) {
          for (int j = 0; j < d; j++) {
            du[i * d + j] += w * u[k * d + j];
          }
        }
      }
    }
    double[] dz = normalizeBackward(du, u, cache.norms(), rows, d);
    Tensor out = Tensor.of(dz, rows, d);
    return cache.dtype() == DType.FLOAT32 ? out.to(DType.FLOAT32) : out;
  }

  // ---- CS231n's versions (assignment 3, SimCLR): written as the notebook asks, tested to agree.

  /**
   * CS231n's {@code sim(z_i, z_j)}: the cosine similarity z_i . z_j / (||z_i|| ||z_j||), norms
   * clamped at {@value #EPS}.
   *
   * @param zi shape (D,)
   * @param zj shape (D,)
   * @return the cosine similarity
   */
  public static double sim(Tensor zi, Tensor zj) {
    if (zi.ndim() != 1 || !zi.sameShape(zj)) {
      throw new IllegalArgumentException(
          "sim: expected two vectors (D,) of the same length, got "
              + zi.shapeString()
              + " and "
              + zj.shapeString());
    }
    double[] a = zi.toDoubleArray();
    double[] b = zj.toDoubleArray();
    double na = Math.max(Math.sqrt(dot(a, 0, a, 0, a.length)), EPS);
    double nb = Math.max(Math.sqrt(dot(b, 0, b, 0, b.length)), EPS);
    return dot(a, 0, b, 0, a.length) / (na * nb);
  }

  /**
   * CS231n's {@code simclr_loss_naive}: a loop over the N pairs, adding l(k, k+N) and l(k+N, k),
   * each denominator a loop over the other 2N - 1 rows; divided by 2N.
   *
   * @param outLeft first views, shape (N, D)
   * @param outRight second views, shape (N, D)
   * @param tau temperature, &gt; 0
   * @return the loss
   */
  public static double simclrLossNaive(Tensor outLeft, Tensor outRight, double tau) {
    Tensor out = concatViews("simclrLossNaive", outLeft, outRight, tau);
    int n = outLeft.shape(0);
    double total = 0;
    for (int k = 0; k < n; k++) {
      Tensor zk = out.select(0, k);
      Tensor zkn = out.select(0, k + n);
      total += pairLoss(out, k, zk, zkn, tau) + pairLoss(out, k + n, zkn, zk, tau);
    }
    return total / (2 * n);
  }

  /** l(i, j) = -log(exp(sim(z_i, z_j) / tau) / sum_{k != i} exp(sim(z_i, z_k) / tau)). */
  private static double pairLoss(Tensor out, int i, Tensor zi, Tensor zj, double tau) {
    double denominator = 0;
    for (int k = 0; k < out.shape(0); k++) {
      if (k != i) {
        denominator += Math.exp(sim(zi, out.select(0, k)) / tau);
      }
    }
    return -Math.log(Math.exp(sim(zi, zj) / tau) / denominator);
  }

  /**
   * CS231n's {@code sim_positive_pairs}: the cosine similarity of each positive pair.
   *
   * @param outLeft first views, shape (N, D)
   * @param outRight second views, shape (N, D)
   * @return cos(outLeft[k], outRight[k]), shape (N, 1), float64
   */
  public static Tensor simPositivePairs(Tensor outLeft, Tensor outRight) {
    if (outLeft.ndim() != 2 || !outLeft.sameShape(outRight)) {
      throw new IllegalArgumentException(
          "simPositivePairs: expected two (N, D) batches of the same shape, got "
              + outLeft.shapeString()
              + " and "
              + outRight.shapeString());
    }
    int n = outLeft.shape(0);
    int d = outLeft.shape(1);
    double[] l = normalizeRows(outLeft.toDoubleArray(), n, d, new double[n]);
    double[] r = normalizeRows(outRight.toDoubleArray(), n, d, new double[n]);
    double[] pos = new double[n];
    for (int k = 0; k < n; k++) {
      pos[k] = dot(l, k * d, r, k * d, d);
    }
    return Tensor.of(pos, n, 1);
  }

  /**
   * CS231n's {@code compute_sim_matrix}: all pairwise cosine similarities, U U^T with U the
   * normalised rows.
   *
   * @param out projections, shape (2N, D)
   * @return the similarity matrix, shape (2N, 2N), float64
   */
  public static Tensor computeSimMatrix(Tensor out) {
    if (out.ndim() != 2) {
      throw new IllegalArgumentException(
          "computeSimMatrix: expected out (2N, D), got " + out.shapeString());
    }
    int rows = out.shape(0);
    int d = out.shape(1);
    Tensor u = Tensor.of(normalizeRows(out.toDoubleArray(), rows, d, new double[rows]), rows, d);
    return u.matmul(u.transpose());
  }

  /**
   * CS231n's {@code simclr_loss_vectorized}: exp(S / tau) with the diagonal masked out, row sums as
   * denominators, the positive pairs (both directions) as numerators, the mean of -log of the
   * ratios. Exponentiates directly as the notebook does; see the class comment.
   *
   * @param outLeft first views, shape (N, D)
   * @param outRight second views, shape (N, D)
   * @param tau temperature, &gt; 0
   * @return the loss
   */
  public static double simclrLossVectorized(Tensor outLeft, Tensor outRight, double tau) {
    Tensor out = concatViews("simclrLossVectorized", outLeft, outRight, tau);
    int rows = out.shape(0);
    Tensor exponential = computeSimMatrix(out).div(tau).exp();
    Tensor notSelf = Tensor.ones(DType.FLOAT64, rows, rows).sub(eye(rows));
    Tensor denominator = exponential.mul(notSelf).sum(1, true); // (2N, 1)
    Tensor pos = simPositivePairs(outLeft, outRight); // (N, 1)
    Tensor numerator = Tensor.concatenate(0, pos, pos).div(tau).exp(); // (2N, 1)
    return numerator.div(denominator).log().neg().mean().item();
  }

  private static Tensor eye(int n) {
    Tensor t = Tensor.zeros(DType.FLOAT64, n, n);
    for (int i = 0; i < n; i++) {
      t.set(1.0, i, i);
    }
    return t;
  }

  private static Tensor concatViews(String op, Tensor outLeft, Tensor outRight, double tau) {
    if (outLeft.ndim() != 2 || !outLeft.sameShape(outRight)) {
      throw new IllegalArgumentException(
          op
              + ": expected out_left and out_right (N, D) of the same shape, got "
              + outLeft.shapeString()
              + " and "
              + outRight.shapeString());
    }
    Tensor out = Tensor.concatenate(0, outLeft.to(DType.FLOAT64), outRight.to(DType.FLOAT64));
    check(op, out, tau);
    return out;
  }

  private static void check(String op, Tensor z, double temperature) {
    Elementwise.requireFloat(op, "z", z);
    if (z.ndim() != 2) {
      throw new IllegalArgumentException(
          op
              + ": expected z (2N, D) with the two views of image k at rows k and k + N, got "
              + z.shapeString());
    }
    if (z.shape(0) < 2 || z.shape(0) % 2 != 0) {
      throw new IllegalArgumentException(
          op
              + ": expected an even number >= 2 of rows (two views per image, rows k and k + N), got "
              + z.shape(0)
              + " in "
              + z.shapeString());
    }
    if (z.shape(1) < 1) {
      throw new IllegalArgumentException(op + ": empty projections " + z.shapeString());
    }
    if (!(temperature > 0) || Double.isInfinite(temperature)) {
      throw new IllegalArgumentException(
          op + ": temperature must be positive and finite, got " + temperature);
    }
  }

  /** Row-normalises x (rows x d) with norms clamped at EPS, writing the clamped norms. */
  private static double[] normalizeRows(double[] x, int rows, int d, double[] norms) {
    double[] u = new double[rows * d];
    for (int i = 0; i < rows; i++) {
      double nrm = Math.max(Math.sqrt(dot(x, i * d, x, i * d, d)), EPS);
      norms[i] = nrm;
      for (int j = 0; j < d; j++) {
        u[i * d + j] = x[i * d + j] / nrm;
      }
    }
    return u;
  }

  /**
   * Backward of u = z / max(||z||, EPS): the projection (I - u u^T) du / ||z|| for an unclamped
   * row; a clamped row is a constant scaling, du / EPS.
   */
  private static double[] normalizeBackward(
      double[] du, double[] u, double[] norms, int rows, int d) {
    double[] dz = new double[rows * d];
    for (int i = 0; i < rows; i++) {
      boolean clamped = norms[i] <= EPS;
      double proj = clamped ? 0 : dot(u, i * d, du, i * d, d);
      for (int j = 0; j < d; j++) {
        dz[i * d + j] = (du[i * d + j] - proj * u[i * d + j]) / norms[i];
      }
    }
    return dz;
  }

  private static double dot(double[] a, int ao, double[] b, int bo, int d) {
    double s = 0;
    for (int j = 0; j < d; j++) {
      s += a[ao + j] * b[bo + j];
    }
    return s;
  }
}
