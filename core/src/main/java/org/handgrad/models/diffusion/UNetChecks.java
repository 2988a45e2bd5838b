package org.handgrad.models.diffusion;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.handgrad.models.ModelChecks;
import org.handgrad.nn.GradCheckResult;
import org.handgrad.nn.checks.ModuleChecks;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * The float64 gradient check of a whole U-Net through the {@link Denoiser} API: a tiny
 * class-conditional U-Net (base width 2, widths (2, 4), two levels, embedding 4, 3 classes,
 * GroupNorm with one group, 2 heads) on (2, 1, 4, 4) images, every path of the reference
 * architecture (1x1 skips, the stride-2 downsampling, attention, the concatenated skips, the
 * upsampling, FiLM, the time MLP and the class embedding). The loss is {@code L = sum(out * dout)}
 * for a fixed random dout, so {@code backward(dout)} returns dL/dx and adds dL/dparam; each is
 * compared with the fourth-order difference {@link ModelChecks#fivePointGradient} of L, run through
 * {@code forward(x, t, y)}. One GroupNorm group: with one channel per group the 2 x 2 bottleneck
 * would normalize 4 values, whose high derivatives make any finite difference poor. The error of a
 * tensor is {@code max|numeric - analytic| / max|analytic|} (bound 1e-7): with every parameter of a
 * whole network some elements are tiny by chance, and on those the element-wise relative error
 * measures the difference's round-off, not the backward pass (the whole-network checks of {@link
 * ModuleChecks} redraw the input instead, and found no input in 1,000 draws where every element of
 * this U-Net's gradients exceeds 1e-3).
 */
public final class UNetChecks {
  private UNetChecks() {}

  /** The check, by name, for {@code handgrad gradcheck}. */
  public static Map<String, Supplier<List<GradCheckResult>>> checks() {
    return Map.of("model_unet", UNetChecks::tiny);
  }

  /** The tiny U-Net's configuration. */
  static UNetConfig tinyConfig() {
    return new UNetConfig(1, 2, new int[] {2, 4}, 4, 3, 1, 2, DType.FLOAT64, 3);
  }

  private static List<GradCheckResult> tiny() {
    UNet net = new UNet(tinyConfig());
    // Off PyTorch's initialization (gamma = 1, beta = 0 would let a confusion of the two pass).
    ModuleChecks.perturbParameters(net, new SplittableRandom(14));
    SplittableRandom rng = new SplittableRandom(15);
    Tensor x = randn(rng, 2, 1, 4, 4);
    Tensor dout = randn(rng, 2, 1, 4, 4);
    // Sample 0 has a real class, sample 1 the null label; times far apart.
    double[] t = {3, 870};
    int[] y = {1, 3};
    net.zeroGrad();
    net.forward(x, t, y);
    Tensor dx = net.backward(dout);
    // L = sum(out * dout), so dL/dx and dL/dparam are what backward(dout) returns.
    return ModelChecks.perTensorChecks(
        "model_unet", () -> net.forward(x, t, y), x, dout, dx, net.parameters());
  }

  private static Tensor randn(SplittableRandom rng, int... shape) {
    Tensor t = Tensor.zeros(DType.FLOAT64, shape);
    for (int i = 0; i < t.size(); i++) {
      t.setFlat(i, rng.nextGaussian());
    }
    return t;
  }
}
