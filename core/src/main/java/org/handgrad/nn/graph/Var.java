package org.handgrad.nn.graph;

import java.util.Objects;
import org.handgrad.tensor.Tensor;

/**
 * A value on a {@link Tape}: the tensor an operation produced and the tape slot that will receive
 * its gradient. Vars are created only by their tape ({@link Tape#input}, {@link Tape#constant},
 * {@link Tape#record} and the graph operations built on it) and belong to it.
 */
public final class Var {
  private final Tape tape;
  private final int id;
  private final Tensor value;
  private final boolean requiresGrad;

  Var(Tape tape, int id, Tensor value, boolean requiresGrad) {
    this.tape = tape;
    this.id = id;
    this.value = Objects.requireNonNull(value, "value");
    this.requiresGrad = requiresGrad;
  }

  /** The tensor computed in the forward pass. */
  public Tensor value() {
    return value;
  }

  /** The shape of the value (a copy). */
  public int[] shape() {
    return value.shape();
  }

  /** The size of one axis of the value (negative axes count from the end). */
  public int shape(int axis) {
    return value.shape(axis);
  }

  /** Whether a gradient is collected for this value: false for {@link Tape#constant} leaves. */
  public boolean requiresGrad() {
    return requiresGrad;
  }

  Tape tape() {
    return tape;
  }

  int id() {
    return id;
  }

  @Override
  public String toString() {
    return "Var#" + id + value.shapeString();
  }
}
