package org.handgrad.nn;

import java.util.Arrays;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * A named trainable tensor: the value the optimizer updates and the gradient that backward passes
 * accumulate into.
 *
 * <p>The gradient is allocated zero-filled with the value's shape and dtype. Backward passes add
 * into it ({@link #accumulateGrad}), so a parameter used twice in a graph (tied weights, a shared
 * layer) receives the sum of both contributions, as with PyTorch's {@code .grad}; clearing it is
 * the caller's job ({@link #zeroGrad}), once per training step.
 *
 * <p>The value is kept contiguous so that optimizers can update its storage array in place: {@code
 * value().doubleStorage()[value().offset() + i]} is element i in row-major order.
 *
 * <p>Fine-tuning settings, shared by every handle of the parameter ({@link #withName}): {@link
 * #requiresGrad()} (PyTorch's {@code requires_grad}; a frozen parameter accumulates no gradient,
 * its layer may skip computing it, and optimizers leave it alone) and {@link #lrMultiplier()}
 * (Caffe's {@code lr_mult}: the optimizer steps it with the learning rate times this factor).
 */
public final class Parameter {
  private final String name;
  private final Tensor value;
  private final Tensor grad;
  private final Training training;

  /** The mutable fine-tuning settings, one object shared by all handles of a parameter. */
  private static final class Training {
    boolean requiresGrad = true;
    double lrMultiplier = 1.0;
  }

  /**
   * Wraps {@code value} (not copied: updates are visible through the caller's tensor).
   *
   * @param name unique name within a model, used in checkpoints and error messages (e.g. "fc1.w")
   * @param value float32 or float64 contiguous tensor, any shape
   * @throws IllegalArgumentException on a blank name, an int32 value or a non-contiguous view
   */
  public Parameter(String name, Tensor value) {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("Parameter: name must not be blank");
    }
    if (!value.dtype().isFloating()) {
      throw new IllegalArgumentException(
          "Parameter " + name + ": value must be float32 or float64, got int32");
    }
    if (!value.isContiguous()) {
      throw new IllegalArgumentException(
          "Parameter "
              + name
              + ": value "
              + value.shapeString()
              + " must be contiguous (call contiguous() first) so updates can work in place");
    }
    this.name = name;
    this.value = value;
    this.grad = Tensor.zerosLike(value);
    this.training = new Training();
  }

  private Parameter(String name, Parameter shared) {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("Parameter: name must not be blank");
    }
    this.name = name;
    this.value = shared.value;
    this.grad = shared.grad;
    this.training = shared.training;
  }

  /**
   * The same parameter under another name: the returned handle shares this one's value AND gradient
   * tensors, so updates and accumulated gradients are visible through both. Module trees use it to
   * expose a layer's {@code weight} as {@code 0.weight} (its path in the tree) without copying
   * anything.
   *
   * @param newName the name of the new handle, not blank
   */
  public Parameter withName(String newName) {
    return new Parameter(newName, this);
  }

  /** The parameter's name. */
  public String name() {
    return name;
  }

  /** The value, updated in place by optimizers; contiguous, same shape as {@link #grad()}. */
  public Tensor value() {
    return value;
  }

  /** The accumulated gradient dL/dvalue, same shape and dtype as {@link #value()}; offset 0. */
  public Tensor grad() {
    return grad;
  }

  /** Shape of the value (a copy). */
  public int[] shape() {
    return value.shape();
  }

  /** Element type of the value and the gradient. */
  public DType dtype() {
    return value.dtype();
  }

  /** Number of elements. */
  public int size() {
    return value.size();
  }

  /** False when the parameter is frozen (fine-tuning): no gradient, no update. */
  public boolean requiresGrad() {
    return training.requiresGrad;
  }

  /**
   * Freezes ({@code false}) or unfreezes the parameter, for every handle of it. Freezing zeroes the
   * gradient, so a frozen parameter's gradient reads 0 (it takes no part in clipping norms).
   *
   * @return this parameter
   */
  public Parameter setRequiresGrad(boolean requiresGrad) {
    training.requiresGrad = requiresGrad;
    if (!requiresGrad) {
      zeroGrad();
    }
    return this;
  }

  /** The factor on the optimizer's learning rate for this parameter (1 unless set). */
  public double lrMultiplier() {
    return training.lrMultiplier;
  }

  /**
   * Sets the factor on the learning rate (Caffe's {@code lr_mult}), e.g. 0.1 for a pretrained body
   * fine-tuned under a new head.
   *
   * @param multiplier finite and > 0 (freeze with {@link #setRequiresGrad} instead of 0)
   * @return this parameter
   * @throws IllegalArgumentException naming the parameter otherwise
   */
  public Parameter setLrMultiplier(double multiplier) {
    if (!(multiplier > 0) || Double.isInfinite(multiplier)) {
      throw new IllegalArgumentException(
          "Parameter "
              + name
              + ": lr multiplier must be finite and > 0, got "
              + multiplier
              + " (freeze with setRequiresGrad(false))");
    }
    training.lrMultiplier = multiplier;
    return this;
  }

  /** Sets every gradient element to zero. */
  public void zeroGrad() {
    switch (grad.dtype()) {
      case FLOAT32 -> Arrays.fill(grad.floatStorage(), 0f);
      case FLOAT64 -> Arrays.fill(grad.doubleStorage(), 0.0);
      case INT32 -> throw new AssertionError("int32 parameter");
    }
  }

  /**
   * Adds {@code dvalue} into the gradient: {@code grad += dvalue}; nothing for a frozen parameter.
   *
   * @param dvalue gradient contribution, same shape and dtype as the value
   * @throws IllegalArgumentException when shape or dtype differ
   */
  public void accumulateGrad(Tensor dvalue) {
    checkLike("accumulateGrad", "gradient", dvalue);
    if (!training.requiresGrad) {
      return; // frozen: the gradient stays 0
    }
    // Both arrays indexed from 0: C2 (JDK 17) vectorizes a loop only when its array accesses share
    // one offset, so a view with a non-zero offset (rare) is copied first.
    Tensor d = dvalue.isContiguous() && dvalue.offset() == 0 ? dvalue : dvalue.copy();
    int n = grad.size();
    if (grad.dtype() == DType.FLOAT32) {
      float[] g = grad.floatStorage();
      float[] s = d.floatStorage();
      for (int i = 0; i < n; i++) {
        g[i] += s[i];
      }
    } else {
      double[] g = grad.doubleStorage();
      double[] s = d.doubleStorage();
      for (int i = 0; i < n; i++) {
        g[i] += s[i];
      }
    }
  }

  /**
   * Copies {@code newValue} into the value in place (restoring a checkpoint or the best
   * parameters); the gradient is left unchanged.
   *
   * @param newValue same shape and dtype as the value
   * @throws IllegalArgumentException when shape or dtype differ
   */
  public void assign(Tensor newValue) {
    checkLike("assign", "value", newValue);
    Tensor s = newValue.contiguous();
    switch (value.dtype()) {
      case FLOAT32 ->
          System.arraycopy(
              s.floatStorage(), s.offset(), value.floatStorage(), value.offset(), size());
      case FLOAT64 ->
          System.arraycopy(
              s.doubleStorage(), s.offset(), value.doubleStorage(), value.offset(), size());
      case INT32 -> throw new AssertionError("int32 parameter");
    }
  }

  /**
   * Checks that {@code t} has this parameter's shape and dtype.
   *
   * @param op name of the calling operation, for the message
   * @param what what {@code t} is ("gradient", "value", "velocity"), for the message
   * @throws IllegalArgumentException naming the parameter, both shapes and both dtypes
   */
  public void checkLike(String op, String what, Tensor t) {
    if (!value.sameShape(t) || value.dtype() != t.dtype()) {
      throw new IllegalArgumentException(
          op
              + ": parameter "
              + name
              + " has shape "
              + value.shapeString()
              + " "
              + value.dtype().numpyName()
              + ", got "
              + what
              + " "
              + t.shapeString()
              + " "
              + t.dtype().numpyName());
    }
  }

  @Override
  public String toString() {
    return "Parameter(" + name + ", " + value.shapeString() + ", " + dtype().numpyName() + ")";
  }
}
