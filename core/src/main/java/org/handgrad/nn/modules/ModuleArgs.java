package org.handgrad.nn.modules;

import java.util.Objects;
import java.util.random.RandomGenerator;
import org.handgrad.nn.init.WeightInit;
import org.handgrad.tensor.DType;

/** Constructor argument checks shared by the modules, with messages naming the module. */
final class ModuleArgs {
  private ModuleArgs() {}

  /** Requires {@code value >= 1}. */
  static int positive(String module, String name, int value) {
    if (value < 1) {
      throw new IllegalArgumentException(module + ": " + name + " must be >= 1, got " + value);
    }
    return value;
  }

  /** Requires a float32 or float64 dtype. */
  static DType floating(String module, DType dtype) {
    if (!Objects.requireNonNull(dtype, module + ": dtype").isFloating()) {
      throw new IllegalArgumentException(
          module + ": dtype must be float32 or float64, got " + dtype.numpyName());
    }
    return dtype;
  }

  /** Checks the arguments of a module with a weight: dtype, initializer and generator. */
  static void weighted(String module, DType dtype, WeightInit init, RandomGenerator rng) {
    floating(module, dtype);
    Objects.requireNonNull(init, module + ": init");
    Objects.requireNonNull(rng, module + ": rng");
  }
}
