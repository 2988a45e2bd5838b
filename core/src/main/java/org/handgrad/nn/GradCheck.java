package org.handgrad.nn;

import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * The CS231n gradient-checking family: centered-difference numerical gradients and the relative
 * error used to compare them with analytic (hand-derived) gradients.
 *
 * <p>Run checks at float64: with h = 1e-5 the centered difference has truncation error O(h^2) ~
 * 1e-10 and round-off ~ eps/h ~ 1e-11, so a correct backward pass gives relative errors around 1e-8
 * or below, while float32 round-off alone (~1e-7/h ~ 1e-2) would drown any real bug.
 *
 * <p>Every function perturbs {@code x} in place (through its storage, so the function under test
 * sees the change) and restores each element before moving on.
 */
public final class GradCheck {
  private GradCheck() {}

  /** The step the CS231n notebooks use. */
  public static final double DEFAULT_H = 1e-5;

  /**
   * Numerical gradient of a scalar function: {@code df/dx[i] ~ (f(x + h e_i) - f(x - h e_i)) / 2h}.
   *
   * @param f scalar function of x (for example a loss); it must read x each call
   * @param x point at which to evaluate, any shape; perturbed in place and restored
   * @return gradient with the shape of x, float64
   */
  public static Tensor evalNumericalGradient(ToDoubleFunction<Tensor> f, Tensor x, double h) {
    Tensor grad = Tensor.zeros(DType.FLOAT64, x.shape());
    for (int i = 0; i < x.size(); i++) {
      double old = x.getFlat(i);
      x.setFlat(i, old + h);
      double fp = f.applyAsDouble(x);
      x.setFlat(i, old - h);
      double fm = f.applyAsDouble(x);
      x.setFlat(i, old);
      grad.setFlat(i, (fp - fm) / (2 * h));
    }
    return grad;
  }

  /**
   * Numerical gradient of a tensor-valued function contracted with an upstream gradient: {@code
   * dx[i] ~ sum((f(x + h e_i) - f(x - h e_i)) * dout) / 2h}, the chain rule's {@code dout . df/dx}.
   *
   * @param f function of x returning a tensor with the shape of dout
   * @param x point at which to evaluate, any shape; perturbed in place and restored
   * @param dout upstream gradient, the shape of f(x)
   * @return gradient with the shape of x, float64
   */
  public static Tensor evalNumericalGradientArray(
      Function<Tensor, Tensor> f, Tensor x, Tensor dout, double h) {
    Tensor grad = Tensor.zeros(DType.FLOAT64, x.shape());
    for (int i = 0; i < x.size(); i++) {
      double old = x.getFlat(i);
      x.setFlat(i, old + h);
      Tensor pos = f.apply(x).copy();
      x.setFlat(i, old - h);
      Tensor neg = f.apply(x);
      x.setFlat(i, old);
      if (!pos.sameShape(dout) || !neg.sameShape(dout)) {
        throw new IllegalArgumentException(
            "evalNumericalGradientArray: f(x) has shape "
                + pos.shapeString()
                + " but dout has shape "
                + dout.shapeString());
      }
      double s = 0;
      for (int j = 0; j < dout.size(); j++) {
        s += (pos.getFlat(j) - neg.getFlat(j)) * dout.getFlat(j);
      }
      grad.setFlat(i, s / (2 * h));
    }
    return grad;
  }

  /**
   * Checks {@code numChecks} randomly chosen coordinates of an analytic gradient against centered
   * differences, as CS231n's {@code grad_check_sparse}; useful when x is too large to check whole.
   *
   * @param f scalar function of x
   * @param x point, any shape; perturbed in place and restored
   * @param analytic the hand-derived gradient, the shape of x
   * @param seed seed for choosing coordinates (explicit, so the check is reproducible)
   * @return the largest relative error over the checked coordinates
   */
  public static double gradCheckSparse(
      ToDoubleFunction<Tensor> f, Tensor x, Tensor analytic, int numChecks, double h, long seed) {
    if (!analytic.sameShape(x)) {
      throw new IllegalArgumentException(
          "gradCheckSparse: analytic gradient "
              + analytic.shapeString()
              + " does not match x "
              + x.shapeString());
    }
    SplittableRandom random = new SplittableRandom(seed);
    double worst = 0;
    for (int c = 0; c < numChecks && x.size() > 0; c++) {
      int i = random.nextInt(x.size());
      double old = x.getFlat(i);
      x.setFlat(i, old + h);
      double fp = f.applyAsDouble(x);
      x.setFlat(i, old - h);
      double fm = f.applyAsDouble(x);
      x.setFlat(i, old);
      double numeric = (fp - fm) / (2 * h);
      worst = Math.max(worst, relError(numeric, analytic.getFlat(i)));
    }
    return worst;
  }

  /**
   * The CS231n relative error {@code max(|x - y| / max(1e-8, |x| + |y|))} over all elements.
   *
   * @throws IllegalArgumentException when the shapes differ
   */
  public static double relError(Tensor x, Tensor y) {
    if (!x.sameShape(y)) {
      throw new IllegalArgumentException(
          "relError: shapes differ: " + x.shapeString() + " vs " + y.shapeString());
    }
    double worst = 0;
    for (int i = 0; i < x.size(); i++) {
      worst = Math.max(worst, relError(x.getFlat(i), y.getFlat(i)));
    }
    return worst;
  }

  /** Relative error of two numbers, {@code |x - y| / max(1e-8, |x| + |y|)}; NaN stays NaN. */
  public static double relError(double x, double y) {
    double r = Math.abs(x - y) / Math.max(1e-8, Math.abs(x) + Math.abs(y));
    return Double.isNaN(x) || Double.isNaN(y) ? Double.NaN : r;
  }
}
