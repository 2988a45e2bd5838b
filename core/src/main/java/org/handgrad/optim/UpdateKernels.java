package org.handgrad.optim;

/**
 * The update rules as plain loops over storage arrays: outputs first, each array with its offset,
 * then the element count and the hyperparameters. BLAS-style pairs: {@code d...} for float64,
 * {@code s...} for float32 (float32 state and arithmetic, as PyTorch does for float32 parameters;
 * the hyperparameters arrive as doubles and are rounded once, after e.g. {@code 1 - beta1} is
 * formed in double).
 *
 * <p>Every kernel is elementwise, so a caller may split {@code [0, n)} into chunks and run them in
 * parallel by shifting the offsets; results do not depend on the split.
 */
final class UpdateKernels {
  private UpdateKernels() {}

  /** Vanilla SGD: {@code w -= lr * dw}. */
  static void dsgd(double[] w, int wo, double[] dw, int go, int n, double lr) {
    for (int i = 0; i < n; i++) {
      w[wo + i] -= lr * dw[go + i];
    }
  }

  /** Float32 twin of {@link #dsgd}. */
  static void ssgd(float[] w, int wo, float[] dw, int go, int n, double lr) {
    float lrf = (float) lr;
    for (int i = 0; i < n; i++) {
      w[wo + i] -= lrf * dw[go + i];
    }
  }

  /** CS231n momentum: {@code v = mu * v - lr * dw; w += v}. */
  static void dmomentum(
      double[] w, int wo, double[] v, int vo, double[] dw, int go, int n, double lr, double mu) {
    for (int i = 0; i < n; i++) {
      double vi = mu * v[vo + i] - lr * dw[go + i];
      v[vo + i] = vi;
      w[wo + i] += vi;
    }
  }

  /** Float32 twin of {@link #dmomentum}. */
  static void smomentum(
      float[] w, int wo, float[] v, int vo, float[] dw, int go, int n, double lr, double mu) {
    float lrf = (float) lr;
    float muf = (float) mu;
    for (int i = 0; i < n; i++) {
      float vi = muf * v[vo + i] - lrf * dw[go + i];
      v[vo + i] = vi;
      w[wo + i] += vi;
    }
  }

  /**
   * Nesterov momentum as in the CS231n notes: {@code vPrev = v; v = mu * v - lr * dw; w += -mu *
   * vPrev + (1 + mu) * v}.
   */
  static void dnesterov(
      double[] w, int wo, double[] v, int vo, double[] dw, int go, int n, double lr, double mu) {
    double onePlusMu = 1 + mu;
    for (int i = 0; i < n; i++) {
      double vPrev = v[vo + i];
      double vi = mu * vPrev - lr * dw[go + i];
      v[vo + i] = vi;
      w[wo + i] += -mu * vPrev + onePlusMu * vi;
    }
  }

  /** Float32 twin of {@link #dnesterov}. */
  static void snesterov(
      float[] w, int wo, float[] v, int vo, float[] dw, int go, int n, double lr, double mu) {
    float lrf = (float) lr;
    float muf = (float) mu;
    float onePlusMu = (float) (1 + mu);
    for (int i = 0; i < n; i++) {
      float vPrev = v[vo + i];
      float vi = muf * vPrev - lrf * dw[go + i];
      v[vo + i] = vi;
      w[wo + i] += -muf * vPrev + onePlusMu * vi;
    }
  }

  /**
   * RMSProp: {@code c = decay * c + (1 - decay) * dw^2; w -= lr * dw / (sqrt(c) + eps)}. eps is
   * added outside the square root, as in CS231n and PyTorch.
   */
  static void drmsprop(
      double[] w,
      int wo,
      double[] c,
      int co,
      double[] dw,
      int go,
      int n,
      double lr,
      double decay,
      double eps) {
    double oneMinusDecay = 1 - decay;
    for (int i = 0; i < n; i++) {
      double g = dw[go + i];
      double ci = decay * c[co + i] + oneMinusDecay * g * g;
      c[co + i] = ci;
      w[wo + i] -= lr * g / (Math.sqrt(ci) + eps);
    }
  }

  /** Float32 twin of {@link #drmsprop}. */
  static void srmsprop(
      float[] w,
      int wo,
      float[] c,
      int co,
      float[] dw,
      int go,
      int n,
      double lr,
      double decay,
      double eps) {
    float lrf = (float) lr;
    float decayf = (float) decay;
    float epsf = (float) eps;
    float oneMinusDecay = (float) (1 - decay);
    for (int i = 0; i < n; i++) {
      float g = dw[go + i];
      float ci = decayf * c[co + i] + oneMinusDecay * g * g;
      c[co + i] = ci;
      w[wo + i] -= lrf * g / ((float) Math.sqrt(ci) + epsf);
    }
  }

  /**
   * Adam with optional decoupled weight decay, in PyTorch's arrangement of the bias corrections:
   *
   * <pre>
   * w *= keep                                   (AdamW: keep = 1 - lr * wd; Adam: keep = 1)
   * m  = beta1 * m + (1 - beta1) * dw
   * v  = beta2 * v + (1 - beta2) * dw^2
   * w -= stepSize * m / (sqrt(v) / sqrtBc2 + eps)
   * </pre>
   *
   * with {@code stepSize = lr / (1 - beta1^t)} and {@code sqrtBc2 = sqrt(1 - beta2^t)}. This is
   * CS231n's {@code w -= lr * mt / (sqrt(vt) + eps)} with {@code mt = m / (1 - beta1^t)} and {@code
   * vt = v / (1 - beta2^t)}, regrouped so the per-element work has no pow.
   */
  static void dadam(
      double[] w,
      int wo,
      double[] m,
      int mo,
      double[] v,
      int vo,
      double[] dw,
      int go,
      int n,
      double keep,
      double beta1,
      double beta2,
      double stepSize,
      double sqrtBc2,
      double eps) {
    double oneMinusBeta1 = 1 - beta1;
    double oneMinusBeta2 = 1 - beta2;
    for (int i = 0; i < n; i++) {
      double g = dw[go + i];
      double mi = beta1 * m[mo + i] + oneMinusBeta1 * g;
      double vi = beta2 * v[vo + i] + oneMinusBeta2 * g * g;
      m[mo + i] = mi;
      v[vo + i] = vi;
      w[wo + i] = w[wo + i] * keep - stepSize * mi / (Math.sqrt(vi) / sqrtBc2 + eps);
    }
  }

  /** Float32 twin of {@link #dadam}. */
  static void sadam(
      float[] w,
      int wo,
      float[] m,
      int mo,
      float[] v,
      int vo,
      float[] dw,
      int go,
      int n,
      double keep,
      double beta1,
      double beta2,
      double stepSize,
      double sqrtBc2,
      double eps) {
    float keepf = (float) keep;
    float b1 = (float) beta1;
    float b2 = (float) beta2;
    float oneMinusBeta1 = (float) (1 - beta1);
    float oneMinusBeta2 = (float) (1 - beta2);
    float stepf = (float) stepSize;
    float bc2f = (float) sqrtBc2;
    float epsf = (float) eps;
    for (int i = 0; i < n; i++) {
      float g = dw[go + i];
      float mi = b1 * m[mo + i] + oneMinusBeta1 * g;
      float vi = b2 * v[vo + i] + oneMinusBeta2 * g * g;
      m[mo + i] = mi;
      v[vo + i] = vi;
      w[wo + i] = w[wo + i] * keepf - stepf * mi / ((float) Math.sqrt(vi) / bc2f + epsf);
    }
  }
}
