package org.handgrad.optim;

/**
 * The update rules as plain loops over storage arrays: outputs first, then the inputs, one storage
 * offset shared by every array, the element count and the hyperparameters.
 *
 * <p>Why one shared offset: C2 in JDK 17 vectorizes such a loop (SuperWord) only when every array
 * access has the same loop-invariant offset; with a separate offset per array the SGD loop ran
 * about 5x slower in an interleaved measurement. {@link UpdateRules} brings the operands to a
 * common offset (they already share offset 0 unless a parameter is a view into a larger buffer).
 *
 * <p>BLAS-style pairs: {@code d...} for float64, {@code s...} for float32 (float32 state and
 * arithmetic, as PyTorch does for float32 parameters; the hyperparameters arrive as doubles and are
 * rounded once, after e.g. {@code 1 - beta1} is formed in double).
 *
 * <p>Every kernel is elementwise, so a caller may split {@code [0, n)} into chunks and run them in
 * parallel by shifting the offset; results do not depend on the split.
 */
final class UpdateKernels {
  private UpdateKernels() {}

  /** Vanilla SGD: {@code w -= lr * dw}. */
  static void dsgd(double[] w, double[] dw, int off, int n, double lr) {
    for (int i = off, end = off + n; i < end; i++) {
      w[i] -= lr * dw[i];
    }
  }

  /** Float32 twin of {@link #dsgd}. */
  static void ssgd(float[] w, float[] dw, int off, int n, double lr) {
    float lrf = (float) lr;
    for (int i = off, end = off + n; i < end; i++) {
      w[i] -= lrf * dw[i];
    }
  }

  /** CS231n momentum: {@code v = mu * v - lr * dw; w += v}. */
  static void dmomentum(double[] w, double[] v, double[] dw, int off, int n, double lr, double mu) {
    for (int i = off, end = off + n; i < end; i++) {
      double vi = mu * v[i] - lr * dw[i];
      v[i] = vi;
      w[i] += vi;
    }
  }

  /** Float32 twin of {@link #dmomentum}. */
  static void smomentum(float[] w, float[] v, float[] dw, int off, int n, double lr, double mu) {
    float lrf = (float) lr;
    float muf = (float) mu;
    for (int i = off, end = off + n; i < end; i++) {
      float vi = muf * v[i] - lrf * dw[i];
      v[i] = vi;
      w[i] += vi;
    }
  }

  /**
   * Nesterov momentum as in the CS231n notes: {@code vPrev = v; v = mu * v - lr * dw; w += -mu *
   * vPrev + (1 + mu) * v}.
   */
  static void dnesterov(double[] w, double[] v, double[] dw, int off, int n, double lr, double mu) {
    double onePlusMu = 1 + mu;
    for (int i = off, end = off + n; i < end; i++) {
      double vPrev = v[i];
      double vi = mu * vPrev - lr * dw[i];
      v[i] = vi;
      w[i] += -mu * vPrev + onePlusMu * vi;
    }
  }

  /** Float32 twin of {@link #dnesterov}. */
  static void snesterov(float[] w, float[] v, float[] dw, int off, int n, double lr, double mu) {
    float lrf = (float) lr;
    float muf = (float) mu;
    float onePlusMu = (float) (1 + mu);
    for (int i = off, end = off + n; i < end; i++) {
      float vPrev = v[i];
      float vi = muf * vPrev - lrf * dw[i];
      v[i] = vi;
      w[i] += -muf * vPrev + onePlusMu * vi;
    }
  }

  /**
   * RMSProp: {@code c = decay * c + (1 - decay) * dw^2; w -= lr * dw / (sqrt(c) + eps)}. eps is
   * added outside the square root, as in CS231n and PyTorch.
   */
  static void drmsprop(
      double[] w, double[] c, double[] dw, int off, int n, double lr, double decay, double eps) {
    double oneMinusDecay = 1 - decay;
    for (int i = off, end = off + n; i < end; i++) {
      double g = dw[i];
      double ci = decay * c[i] + oneMinusDecay * g * g;
      c[i] = ci;
      w[i] -= lr * g / (Math.sqrt(ci) + eps);
    }
  }

  /** Float32 twin of {@link #drmsprop}. */
  static void srmsprop(
      float[] w, float[] c, float[] dw, int off, int n, double lr, double decay, double eps) {
    float lrf = (float) lr;
    float decayf = (float) decay;
    float epsf = (float) eps;
    float oneMinusDecay = (float) (1 - decay);
    for (int i = off, end = off + n; i < end; i++) {
      float g = dw[i];
      float ci = decayf * c[i] + oneMinusDecay * g * g;
      c[i] = ci;
      w[i] -= lrf * g / ((float) Math.sqrt(ci) + epsf);
    }
  }

  /**
   * Adam with optional decoupled weight decay, in PyTorch's arrangement of the bias corrections:
   *
   * <pre>
   * w *= keep                                   (AdamW: keep = 1 - lr * wd; Adam: keep = 1)
   * m  = beta1 * m + (1 - beta1) * dw
   * v  = beta2 * v + (1 - beta2) * dw^2
   * w -= stepSize * m / (sqrt(v) * invSqrtBc2 + eps)
   * </pre>
   *
   * with {@code stepSize = lr / (1 - beta1^t)} and {@code invSqrtBc2 = 1 / sqrt(1 - beta2^t)} (a
   * multiply instead of PyTorch's division: one division less per element, the result differs from
   * PyTorch's by rounding only). This is CS231n's {@code w -= lr * mt / (sqrt(vt) + eps)} with
   * {@code mt = m / (1 - beta1^t)} and {@code vt = v / (1 - beta2^t)}, regrouped so the per-element
   * work has no pow.
   */
  static void dadam(
      double[] w,
      double[] m,
      double[] v,
      double[] dw,
      int off,
      int n,
      double keep,
      double beta1,
      double beta2,
      double stepSize,
      double invSqrtBc2,
      double eps) {
    double oneMinusBeta1 = 1 - beta1;
    double oneMinusBeta2 = 1 - beta2;
    for (int i = off, end = off + n; i < end; i++) {
      double g = dw[i];
      double mi = beta1 * m[i] + oneMinusBeta1 * g;
      double vi = beta2 * v[i] + oneMinusBeta2 * g * g;
      m[i] = mi;
      v[i] = vi;
      w[i] = w[i] * keep - stepSize * mi / (Math.sqrt(vi) * invSqrtBc2 + eps);
    }
  }

  /** Float32 twin of {@link #dadam}. */
  static void sadam(
      float[] w,
      float[] m,
      float[] v,
      float[] dw,
      int off,
      int n,
      double keep,
      double beta1,
      double beta2,
      double stepSize,
      double invSqrtBc2,
      double eps) {
    float keepf = (float) keep;
    float b1 = (float) beta1;
    float b2 = (float) beta2;
    float oneMinusBeta1 = (float) (1 - beta1);
    float oneMinusBeta2 = (float) (1 - beta2);
    float stepf = (float) stepSize;
    float invBc2f = (float) invSqrtBc2;
    float epsf = (float) eps;
    for (int i = off, end = off + n; i < end; i++) {
      float g = dw[i];
      float mi = b1 * m[i] + oneMinusBeta1 * g;
      float vi = b2 * v[i] + oneMinusBeta2 * g * g;
      m[i] = mi;
      v[i] = vi;
      w[i] = w[i] * keepf - stepf * mi / ((float) Math.sqrt(vi) * invBc2f + epsf);
    }
  }
}
