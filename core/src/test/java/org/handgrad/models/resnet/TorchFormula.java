package org.handgrad.models.resnet;

import java.util.LinkedHashMap;
import java.util.Map;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * The deterministic weights of {@code formula_weights} in scripts/torch/torch_io.py, rebuilt
 * exactly in Java, so that ResNet-18 can be compared with torchvision without committing its 47 MB
 * of weights. See the script for the formula; every step is exact integer arithmetic or one
 * correctly rounded float64 operation, so both sides produce the same float32 bits.
 */
final class TorchFormula {
  private TorchFormula() {}

  /**
   * Formula values for every entry of a state dict.
   *
   * @param shapes name to shape in PyTorch's layout
   * @return name to float32 tensor (int32 zero for num_batches_tracked)
   */
  static Map<String, Tensor> weights(Map<String, int[]> shapes) {
    Map<String, Tensor> out = new LinkedHashMap<>();
    shapes.forEach((name, shape) -> out.put(name, tensor(name, shape)));
    return out;
  }

  static Tensor tensor(String name, int[] shape) {
    if (name.endsWith("num_batches_tracked")) {
      return Tensor.zeros(DType.INT32, shape);
    }
    long s = 0;
    for (int k = 0; k < name.length(); k++) {
      s += (long) (k + 1) * name.charAt(k);
    }
    Tensor t = Tensor.zeros(DType.FLOAT32, shape);
    int fanIn = 1;
    for (int d = 1; d < shape.length; d++) {
      fanIn *= shape[d];
    }
    double bound = 2.0 * Math.sqrt(3.0 / fanIn);
    for (int i = 0; i < t.size(); i++) {
      long h = ((long) i * 2654435761L + s * 40503 + 12345) % (1L << 32);
      double u = h / 4294967296.0;
      double v;
      if (name.endsWith("running_var")) {
        v = 0.5 + u;
      } else if (name.endsWith("running_mean") || name.endsWith("bias")) {
        v = 0.2 * (u - 0.5);
      } else if (shape.length == 1) {
        v = 0.5 + 0.5 * u;
      } else {
        v = (u - 0.5) * bound;
      }
      t.setFlat(i, (float) v);
    }
    return t;
  }
}
