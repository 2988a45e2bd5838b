package org.handgrad.optim;

import java.util.List;
import java.util.Optional;
import org.handgrad.nn.Parameter;
import org.handgrad.tensor.Tensor;

/**
 * Finds the first NaN or infinity among parameters, to turn a diverged run into a message that
 * names the culprit ("fc2.w grad[17] = NaN") instead of a loss that silently reads NaN.
 */
public final class NonFinite {
  private NonFinite() {}

  /**
   * Where a non-finite number was found.
   *
   * @param parameter name of the parameter
   * @param inGrad true when found in the gradient, false when in the value
   * @param index flat (row-major) index of the element
   * @param value the element: NaN, +Infinity or -Infinity
   */
  public record Finding(String parameter, boolean inGrad, int index, double value) {
    @Override
    public String toString() {
      return parameter + (inGrad ? " grad[" : " value[") + index + "] = " + value;
    }
  }

  /**
   * The first non-finite element, scanning the parameters in order and, within each, the value
   * before the gradient.
   *
   * @return empty when every value and gradient is finite
   */
  public static Optional<Finding> firstNonFinite(List<Parameter> params) {
    for (Parameter p : params) {
      int i = firstNonFinite(p.value());
      if (i >= 0) {
        return Optional.of(new Finding(p.name(), false, i, p.value().getFlat(i)));
      }
      i = firstNonFinite(p.grad());
      if (i >= 0) {
        return Optional.of(new Finding(p.name(), true, i, p.grad().getFlat(i)));
      }
    }
    return Optional.empty();
  }

  /** Like {@link #firstNonFinite} but looking at gradients only. */
  public static Optional<Finding> firstNonFiniteGrad(List<Parameter> params) {
    for (Parameter p : params) {
      int i = firstNonFinite(p.grad());
      if (i >= 0) {
        return Optional.of(new Finding(p.name(), true, i, p.grad().getFlat(i)));
      }
    }
    return Optional.empty();
  }

  /**
   * Flat index of the first NaN or infinity of a contiguous float tensor, or -1.
   *
   * @param t float32 or float64 tensor, contiguous
   */
  static int firstNonFinite(Tensor t) {
    int n = t.size();
    int off = t.offset();
    switch (t.dtype()) {
      case FLOAT32 -> {
        float[] a = t.floatStorage();
        for (int i = 0; i < n; i++) {
          if (!Float.isFinite(a[off + i])) {
            return i;
          }
        }
      }
      case FLOAT64 -> {
        double[] a = t.doubleStorage();
        for (int i = 0; i < n; i++) {
          if (!Double.isFinite(a[off + i])) {
            return i;
          }
        }
      }
      case INT32 -> {
        return -1;
      }
    }
    return -1;
  }
}
