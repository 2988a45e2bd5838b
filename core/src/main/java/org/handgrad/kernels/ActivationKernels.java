package org.handgrad.kernels;

/**
 * float32 activation kernels, forward and backward, on contiguous spans: ReLU, sigmoid, tanh, GELU
 * (exact, erf-based, and the tanh approximation) and SiLU.
 *
 * <p>Each kernel runs on the Vector API ({@link ElementwiseVector}) when {@link
 * Kernels#useVector()} allows it, else on the scalar loops here, which are its twins: the same
 * float operations in the same order, so both give bit-identical results (see {@link FloatMath} for
 * the functions and their accuracy). Spans longer than {@link #GRAIN} are split over {@link
 * Parallel} into chunks of {@code GRAIN} elements; chunks depend on n alone and each element is
 * computed on its own, so the results are the same for any thread count.
 *
 * <p>Forward: {@code y[yOff + i] = f(x[xOff + i])}. Backward: {@code dx[dxOff + i] = dy[dyOff + i]
 * * f'(...)} from the cached operand {@code c} of {@link Activation#backwardOperand()}: the input x
 * for ReLU, GELU and SiLU, the output for sigmoid and tanh. Outputs must not overlap the inputs
 * except exactly (same array and offset).
 */
public final class ActivationKernels {
  private ActivationKernels() {}

  /** Elements per parallel chunk: 64 KB of float32 per operand. */
  public static final int GRAIN = 16_384;

  /** The activations with float32 kernels. */
  public enum Activation {
    /** max(x, 0); relu'(x) = 1 for x &gt; 0 (or a NaN with a clear sign bit), else 0. */
    RELU(true),
    /** 1 / (1 + exp(-x)); the backward reads the output s: s (1 - s). */
    SIGMOID(false),
    /** tanh(x); the backward reads the output t: 1 - t^2. */
    TANH(false),
    /** x Phi(x) with the erf-based normal CDF Phi; derivative Phi(x) + x phi(x). */
    GELU(true),
    /** x sigma(2u), u = sqrt(2/pi) (x + 0.044715 x^3); GELU's tanh approximation. */
    GELU_TANH(true),
    /** x sigma(x), Swish with beta = 1; derivative sigma(x) (1 + x (1 - sigma(x))). */
    SILU(true);

    private final boolean backwardReadsInput;

    Activation(boolean backwardReadsInput) {
      this.backwardReadsInput = backwardReadsInput;
    }

    /**
     * What the backward kernel reads besides dy.
     *
     * @return {@code "x"} (the forward input) or {@code "out"} (the forward output)
     */
    public String backwardOperand() {
      return backwardReadsInput ? "x" : "out";
    }
  }

  /**
   * Forward: {@code y[yOff + i] = f(x[xOff + i])} for i &lt; n.
   *
   * @param f the activation
   * @param y output, n values from yOff
   * @param x input, n values from xOff
   * @param n number of elements, at least 0
   */
  public static void forward(Activation f, float[] y, int yOff, float[] x, int xOff, int n) {
    checkSpan("forward", f, y.length, yOff, n);
    checkSpan("forward", f, x.length, xOff, n);
    boolean vector = Kernels.useVector();
    Parallel.forRange(
        n,
        GRAIN,
        n,
        (s, e) -> {
          if (vector) {
            ElementwiseVector.forward(f, y, yOff + s, x, xOff + s, e - s);
          } else {
            forwardScalar(f, y, yOff + s, x, xOff + s, e - s);
          }
        });
  }

  /**
   * Backward: {@code dx[dxOff + i] = dy[dyOff + i] * f'} at element i, f' computed from {@code
   * c[cOff + i]} (see {@link Activation#backwardOperand()}).
   *
   * @param f the activation
   * @param dx output gradient, n values from dxOff
   * @param dy upstream gradient, n values from dyOff
   * @param c the forward input or output, n values from cOff
   * @param n number of elements, at least 0
   */
  public static void backward(
      Activation f, float[] dx, int dxOff, float[] dy, int dyOff, float[] c, int cOff, int n) {
    checkSpan("backward", f, dx.length, dxOff, n);
    checkSpan("backward", f, dy.length, dyOff, n);
    checkSpan("backward", f, c.length, cOff, n);
    boolean vector = Kernels.useVector();
    Parallel.forRange(
        n,
        GRAIN,
        n,
        (s, e) -> {
          if (vector) {
            ElementwiseVector.backward(f, dx, dxOff + s, dy, dyOff + s, c, cOff + s, e - s);
          } else {
            backwardScalar(f, dx, dxOff + s, dy, dyOff + s, c, cOff + s, e - s);
          }
        });
  }

  private static void checkSpan(String what, Activation f, int length, int off, int n) {
    if (n < 0 || off < 0 || (long) off + n > length) {
      throw new IllegalArgumentException(
          "ActivationKernels."
              + what
              + "("
              + f
              + "): span [off="
              + off
              + ", n="
              + n
              + ") outside an array of length "
              + length);
    }
  }

  // ---------------------------------------------------------------- scalar twins

  /** Scalar twin of {@link #forward}, on one thread. */
  public static void forwardScalar(Activation f, float[] y, int yOff, float[] x, int xOff, int n) {
    switch (f) {
      case RELU -> {
        for (int i = 0; i < n; i++) {
          y[yOff + i] = relu(x[xOff + i]);
        }
      }
      case SIGMOID -> {
        for (int i = 0; i < n; i++) {
          y[yOff + i] = FloatMath.sigmoid(x[xOff + i]);
        }
      }
      case TANH -> {
        for (int i = 0; i < n; i++) {
          y[yOff + i] = FloatMath.tanh(x[xOff + i]);
        }
      }
      case GELU -> {
        for (int i = 0; i < n; i++) {
          y[yOff + i] = gelu(x[xOff + i]);
        }
      }
      case GELU_TANH -> {
        for (int i = 0; i < n; i++) {
          y[yOff + i] = geluTanh(x[xOff + i]);
        }
      }
      case SILU -> {
        for (int i = 0; i < n; i++) {
          float v = x[xOff + i];
          y[yOff + i] = v * FloatMath.sigmoid(v);
        }
      }
    }
  }

  /** Scalar twin of {@link #backward}, on one thread. */
  public static void backwardScalar(
      Activation f, float[] dx, int dxOff, float[] dy, int dyOff, float[] c, int cOff, int n) {
    switch (f) {
      case RELU -> {
        for (int i = 0; i < n; i++) {
          dx[dxOff + i] = reluGrad(dy[dyOff + i], c[cOff + i]);
        }
      }
      case SIGMOID -> {
        for (int i = 0; i < n; i++) {
          float s = c[cOff + i];
          dx[dxOff + i] = dy[dyOff + i] * s * (1f - s);
        }
      }
      case TANH -> {
        for (int i = 0; i < n; i++) {
          float t = c[cOff + i];
          dx[dxOff + i] = dy[dyOff + i] * Math.fma(-t, t, 1f);
        }
      }
      case GELU -> {
        for (int i = 0; i < n; i++) {
          dx[dxOff + i] = dy[dyOff + i] * geluGrad(c[cOff + i]);
        }
      }
      case GELU_TANH -> {
        for (int i = 0; i < n; i++) {
          dx[dxOff + i] = dy[dyOff + i] * geluTanhGrad(c[cOff + i]);
        }
      }
      case SILU -> {
        for (int i = 0; i < n; i++) {
          float v = c[cOff + i];
          float s = FloatMath.sigmoid(v);
          dx[dxOff + i] = dy[dyOff + i] * s * Math.fma(v, 1f - s, 1f);
        }
      }
    }
  }

  // ---------------------------------------------------------------- per-element maths

  static final float SQRT_2_OVER_PI = 0.79788456080286535588f;
  static final float GELU_TANH_COEFF = 0.044715f;

  /** max(x, 0) with Math.max's NaN propagation and relu(-0.0) = 0.0. */
  static float relu(float x) {
    return Math.max(x, 0f);
  }

  /**
   * g where x &gt; 0, else +0. x &gt; +0 exactly when its bits b are a positive int, and then both
   * -b and ~b have the sign bit set; a NaN with a clear sign bit passes the gradient as PyTorch's
   * threshold_backward ({@code x <= 0 ? 0 : dout}) does. Masking, not branching: the sign of x is
   * random in a network.
   */
  static float reluGrad(float g, float x) {
    int b = Float.floatToRawIntBits(x);
    int mask = (-b & ~b) >> 31;
    return Float.intBitsToFloat(Float.floatToRawIntBits(g) & mask);
  }

  /** x Phi(x); see {@link FloatMath#normalCdf}. */
  static float gelu(float x) {
    return x * FloatMath.normalCdf(x);
  }

  /** Phi(x) + x phi(x), sharing exp(-x^2 / 2) between Phi's tail and phi. */
  static float geluGrad(float x) {
    float a = Math.min(Math.abs(x), FloatMath.CLAMP);
    float e = FloatMath.halfSquareExp(a);
    float c = 0.5f * e * FloatMath.erfcx(a * FloatMath.SQRT1_2);
    float cdf = x < 0 ? c : 1f - c;
    return Math.fma(x, e * FloatMath.INV_SQRT_2PI, cdf);
  }

  /** 2u = 2 sqrt(2/pi) (x + 0.044715 x^3). */
  static float geluTanhArg2(float x) {
    return 2f * SQRT_2_OVER_PI * Math.fma(GELU_TANH_COEFF * x * x, x, x);
  }

  /** 0.5 x (1 + tanh u) = x sigma(2u), which does not cancel for u &lt;&lt; 0. */
  static float geluTanh(float x) {
    return x * FloatMath.sigmoid(geluTanhArg2(x));
  }

  /** s + 2 x s (1 - s) du with s = sigma(2u), du = sqrt(2/pi) (1 + 3 * 0.044715 x^2). */
  static float geluTanhGrad(float x) {
    float s = FloatMath.sigmoid(geluTanhArg2(x));
    float du = SQRT_2_OVER_PI * Math.fma(3f * GELU_TANH_COEFF * x, x, 1f);
    return Math.fma(2f * x * s * (1f - s), du, s);
  }
}
