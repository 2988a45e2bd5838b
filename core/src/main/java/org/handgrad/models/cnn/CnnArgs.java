package org.handgrad.models.cnn;

import java.util.Arrays;
import java.util.Objects;

/** Configuration checks shared by the conv nets. */
final class CnnArgs {
  private CnnArgs() {}

  /**
   * Checks an image shape (C, H, W) whose H and W must be divisible by 2^pools (each 2x2 max pool
   * halves them), and returns a copy.
   */
  static int[] checkImageShape(String model, int[] inputDim, int pools) {
    Objects.requireNonNull(inputDim, model + ": inputDim");
    if (inputDim.length != 3 || inputDim[0] < 1 || inputDim[1] < 1 || inputDim[2] < 1) {
      throw new IllegalArgumentException(
          model + ": inputDim must be (C, H, W) with positive sizes, got " + str(inputDim));
    }
    int need = 1 << pools;
    if ((inputDim[1] % need != 0 || inputDim[2] % need != 0)) {
      throw new IllegalArgumentException(
          model
              + ": H and W of inputDim "
              + str(inputDim)
              + " must be divisible by "
              + need
              + " (one halving per 2x2 max pool, "
              + pools
              + " pools)");
    }
    return inputDim.clone();
  }

  private static String str(int[] a) {
    return Arrays.toString(a).replace('[', '(').replace(']', ')');
  }
}
