package org.handgrad.nn.functional;

import java.util.Objects;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * DINO's self-distillation loss (Caron et al. 2021, Algorithm 1): the cross-entropy between the
 * teacher's centred, sharpened softmax of each global view and the student's softmax of every other
 * view, averaged over those pairs and over the batch.
 *
 * <pre>
 *   q_g = softmax((t_g - c) / tau_t)          teacher, global views g = 0 .. G-1, no gradient
 *   p_v = softmax(s_v / tau_s)                student, views v = 0 .. V-1 (the first G are the
 *                                             globals, in the teacher's order)
 *   L   = 1/(P N) sum_g sum_{v != g} sum_n  -q_g[n] . log p_v[n],     P = G (V - 1) pairs
 *   dL/ds_v[n] = 1/(P N tau_s) sum_{g != v} (p_v[n] - q_g[n])        (each q_g sums to 1)
 * </pre>
 *
 * <p>The gradient line: d/ds of -q . log softmax(s / tau) is (softmax(s / tau) sum(q) - q) / tau,
 * and sum(q) = 1. A global view v has G - 1 partners, a local view G.
 *
 * <p>The loss is a sum over student views, and the gradient of view v needs only s_v and the
 * teacher. So a block of consecutive views may be evaluated on its own ({@link
 * #dinoLossForward(Tensor, int, int, Tensor, Tensor, double, double)}): it returns that block's
 * share of L (still divided by the total pair count), and the shares add up to L. The trainer uses
 * this to run the student on the global crops and on the (smaller) local crops one after the other,
 * each followed by its own backward.
 *
 * <p>Outputs are passed as (views, N, K): index [v, n] is view v of image n (the reference code
 * concatenates the views along the batch, view-major: reshape its (V N, K) to (V, N, K)). Softmaxes
 * subtract the row max before exp; the log-softmax is {@code x - max - log sum exp(x - max)}, never
 * the log of a rounded-to-zero probability. Computed in float64; outputs take the dtype of the
 * student.
 *
 * <p>Dimension letters: G global views, V student views, N images, K output dimensions.
 */
public final class DinoLoss {
  private DinoLoss() {}

  /**
   * What {@link #dinoLossBackward} reads.
   *
   * @param studentProbs p_v of the block's views, B x N x K values row-major, float64
   * @param teacherProbs q_g, G x N x K values, float64
   * @param firstView index of the block's first view among all V
   * @param numViews V, all student views
   * @param n N
   * @param k K
   * @param studentTemp tau_s
   * @param dtype the student's dtype
   */
  public record Cache(
      double[] studentProbs,
      double[] teacherProbs,
      int firstView,
      int numViews,
      int n,
      int k,
      double studentTemp,
      DType dtype) {
    /** Checks the array sizes agree with N, K. */
    public Cache {
      Objects.requireNonNull(studentProbs, "studentProbs");
      Objects.requireNonNull(teacherProbs, "teacherProbs");
      if (studentProbs.length % (n * k) != 0 || teacherProbs.length % (n * k) != 0) {
        throw new IllegalArgumentException("dinoLoss: cache arrays do not hold whole views");
      }
    }

    /** G, the number of global (teacher) views. */
    public int numGlobal() {
      return teacherProbs.length / (n * k);
    }

    /** P = G (V - 1), the number of (teacher view, student view) pairs. */
    public int numPairs() {
      return numGlobal() * (numViews - 1);
    }
  }

  /**
   * The loss over all student views.
   *
   * @param student student outputs, shape (V, N, K), V &gt;= 2; float32 or float64
   * @param teacher teacher outputs, shape (G, N, K), 1 &lt;= G &lt;= V, the student's dtype
   * @param center the teacher centre c, shape (K,), the student's dtype
   * @param studentTemp tau_s &gt; 0 (0.1 in the paper)
   * @param teacherTemp tau_t &gt; 0 (0.04 to 0.07 in the paper)
   * @return the loss as a scalar tensor (the student's dtype) and the cache
   * @throws IllegalArgumentException for shapes that do not fit, a temperature &lt;= 0, or V &lt; 2
   *     (a single view has no pair)
   */
  public static Forward<Cache> dinoLossForward(
      Tensor student, Tensor teacher, Tensor center, double studentTemp, double teacherTemp) {
    checkRows(student, teacher);
    return dinoLossForward(student, 0, student.shape(0), teacher, center, studentTemp, teacherTemp);
  }

  /**
   * The share of the loss of a block of consecutive student views {@code firstView .. firstView + B
   * - 1} out of {@code numViews}; the shares of all blocks add up to the loss of {@link
   * #dinoLossForward(Tensor, Tensor, Tensor, double, double)}.
   *
   * @param student student outputs of the block, shape (B, N, K)
   * @param firstView index of the block's first view, &gt;= 0
   * @param numViews V, all student views, &gt;= 2 and &gt;= firstView + B
   * @param teacher teacher outputs, shape (G, N, K), G &lt;= V
   * @param center shape (K,)
   * @param studentTemp tau_s &gt; 0
   * @param teacherTemp tau_t &gt; 0
   * @return the block's share of the loss (scalar) and the cache
   * @throws IllegalArgumentException when the block does not fit or a temperature is &lt;= 0
   */
  public static Forward<Cache> dinoLossForward(
      Tensor student,
      int firstView,
      int numViews,
      Tensor teacher,
      Tensor center,
      double studentTemp,
      double teacherTemp) {
    String op = "dinoLoss";
    checkRows(student, teacher);
    Objects.requireNonNull(center, op + ": center is null");
    int k = student.shape(2);
    if (teacher.shape(2) != k || center.ndim() != 1 || center.shape(0) != k) {
      throw new IllegalArgumentException(
          op
              + ": expected teacher (G, N, K) and center (K,) with K="
              + k
              + " like student "
              + student.shapeString()
              + ", got teacher "
              + teacher.shapeString()
              + " and center "
              + center.shapeString());
    }
    if (teacher.dtype() != student.dtype() || center.dtype() != student.dtype()) {
      throw new IllegalArgumentException(
          op
              + ": student, teacher and center must share a dtype, got "
              + student.dtype().numpyName()
              + ", "
              + teacher.dtype().numpyName()
              + ", "
              + center.dtype().numpyName());
    }
    requireTemperature(op, "student_temp", studentTemp);
    requireTemperature(op, "teacher_temp", teacherTemp);
    int g = teacher.shape(0);
    int n = teacher.shape(1);
    int b = student.shape(0);
    if (numViews < 2) {
      throw new IllegalArgumentException(
          op + ": DINO needs at least 2 views (a single view has no pair), got " + numViews);
    }
    if (firstView < 0 || firstView + b > numViews || g > numViews) {
      throw new IllegalArgumentException(
          op
              + ": views "
              + firstView
              + ".."
              + (firstView + b - 1)
              + " and "
              + g
              + " teacher views do not fit in "
              + numViews
              + " views");
    }
    double[] q = softmaxRows(teacher.toDoubleArray(), center.toDoubleArray(), teacherTemp, k);
    double[] s = student.toDoubleArray();
    double[] p = new double[s.length];
    double total = 0;
    for (int j = 0; j < b; j++) {
      int view = firstView + j;
      for (int i = 0; i < n; i++) {
        int row = (j * n + i) * k;
        double[] logp = logSoftmax(s, row, k, studentTemp);
        for (int c = 0; c < k; c++) {
          p[row + c] = Math.exp(logp[c]);
        }
        for (int t = 0; t < g; t++) {
          if (t == view) {
            continue; // a view is never compared with itself
          }
          int qrow = (t * n + i) * k;
          double ce = 0;
          for (int c = 0; c < k; c++) {
            ce -= q[qrow + c] * logp[c];
          }
          total += ce;
        }
      }
    }
    int pairs = g * (numViews - 1);
    double loss = total / ((double) pairs * n);
    return new Forward<>(
        Tensor.scalar(student.dtype(), loss),
        new Cache(p, q, firstView, numViews, n, k, studentTemp, student.dtype()));
  }

  /**
   * Backward of {@link #dinoLossForward}: the gradient with respect to the block's student outputs
   * (the teacher gets none: it is updated by EMA, not by gradients).
   *
   * @param dout upstream gradient of the scalar loss (1 for the loss itself)
   * @param cache from the forward pass
   * @return dstudent, shape (B, N, K), the student's dtype
   */
  public static Tensor dinoLossBackward(double dout, Cache cache) {
    int n = cache.n();
    int k = cache.k();
    int g = cache.numGlobal();
    double[] p = cache.studentProbs();
    double[] q = cache.teacherProbs();
    int b = p.length / (n * k);
    double scale = dout / ((double) cache.numPairs() * n * cache.studentTemp());
    double[] ds = new double[p.length];
    for (int j = 0; j < b; j++) {
      int view = cache.firstView() + j;
      for (int i = 0; i < n; i++) {
        int row = (j * n + i) * k;
        for (int t = 0; t < g; t++) {
          if (t == view) {
            continue;
          }
          int qrow = (t * n + i) * k;
          for (int c = 0; c < k; c++) {
            ds[row + c] += scale * (p[row + c] - q[qrow + c]);
          }
        }
      }
    }
    Tensor out = Tensor.of(ds, b, n, k);
    return cache.dtype() == DType.FLOAT64 ? out : out.to(cache.dtype());
  }

  /**
   * The teacher's targets {@code softmax((t - c) / tau_t)}, row by row.
   *
   * @param teacher shape (R, K)
   * @param center shape (K,)
   * @param teacherTemp tau_t &gt; 0
   * @return shape (R, K), float64
   */
  public static Tensor teacherProbs(Tensor teacher, Tensor center, double teacherTemp) {
    requireTemperature("teacherProbs", "teacher_temp", teacherTemp);
    int k = teacher.shape(teacher.ndim() - 1);
    return Tensor.of(
        softmaxRows(teacher.toDoubleArray(), center.toDoubleArray(), teacherTemp, k),
        teacher.shape());
  }

  private static double[] softmaxRows(double[] t, double[] c, double temp, int k) {
    double[] q = new double[t.length];
    double[] z = new double[k];
    for (int row = 0; row < t.length; row += k) {
      double max = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < k; j++) {
        z[j] = (t[row + j] - c[j]) / temp;
        max = Math.max(max, z[j]);
      }
      double sum = 0;
      for (int j = 0; j < k; j++) {
        z[j] = Math.exp(z[j] - max);
        sum += z[j];
      }
      for (int j = 0; j < k; j++) {
        q[row + j] = z[j] / sum;
      }
    }
    return q;
  }

  private static double[] logSoftmax(double[] s, int row, int k, double temp) {
    double[] z = new double[k];
    double max = Double.NEGATIVE_INFINITY;
    for (int j = 0; j < k; j++) {
      z[j] = s[row + j] / temp;
      max = Math.max(max, z[j]);
    }
    double sum = 0;
    for (int j = 0; j < k; j++) {
      sum += Math.exp(z[j] - max);
    }
    double lse = max + Math.log(sum);
    for (int j = 0; j < k; j++) {
      z[j] -= lse;
    }
    return z;
  }

  private static void checkRows(Tensor student, Tensor teacher) {
    String op = "dinoLoss";
    Objects.requireNonNull(student, op + ": student is null");
    Objects.requireNonNull(teacher, op + ": teacher is null");
    Elementwise.requireFloat(op, "student", student);
    Elementwise.requireFloat(op, "teacher", teacher);
    if (student.ndim() != 3
        || teacher.ndim() != 3
        || teacher.shape(0) < 1
        || student.shape(1) != teacher.shape(1)) {
      throw new IllegalArgumentException(
          op
              + ": expected student (V, N, K) and teacher (G, N, K) with the same N, got "
              + student.shapeString()
              + " and "
              + teacher.shapeString());
    }
  }

  private static void requireTemperature(String op, String name, double t) {
    if (!(t > 0) || Double.isInfinite(t)) {
      throw new IllegalArgumentException(op + ": " + name + " must be > 0, got " + t);
    }
  }
}
