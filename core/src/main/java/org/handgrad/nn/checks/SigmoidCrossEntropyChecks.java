package org.handgrad.nn.checks;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.handgrad.nn.GradCheck;
import org.handgrad.nn.GradCheckResult;
import org.handgrad.nn.functional.SigmoidCrossEntropy;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * Float64 gradient check of the multi-label sigmoid cross-entropy (the loss of the captioning
 * encoder's word-detector pretraining), with hard 0/1 targets and with soft targets. The loss is
 * smooth, so plain centered differences at CS231n's h = 1e-5 reach the 1e-7 bound; logits are N(0,
 * 2^2), so both sides of the sigmoid are exercised.
 */
public final class SigmoidCrossEntropyChecks {
  private SigmoidCrossEntropyChecks() {}

  /** Relative-error bound. */
  public static final double TOLERANCE = 1e-7;

  /** The check of this family, by layer name. */
  public static Map<String, Supplier<List<GradCheckResult>>> checks() {
    Map<String, Supplier<List<GradCheckResult>>> m = new LinkedHashMap<>();
    m.put("sigmoid_cross_entropy", SigmoidCrossEntropyChecks::check);
    return m;
  }

  private static List<GradCheckResult> check() {
    SplittableRandom r = new SplittableRandom(61);
    int n = 4;
    int c = 7;
    Tensor x = Tensor.zeros(DType.FLOAT64, n, c);
    Tensor hard = Tensor.zeros(DType.FLOAT64, n, c);
    Tensor soft = Tensor.zeros(DType.FLOAT64, n, c);
    for (int i = 0; i < n * c; i++) {
      x.setFlat(i, 2 * r.nextGaussian());
      hard.setFlat(i, r.nextBoolean() ? 1 : 0);
      soft.setFlat(i, r.nextDouble());
    }
    String l = "sigmoid_cross_entropy";
    return List.of(result(l, "dx (0/1 targets)", x, hard), result(l, "dx (soft targets)", x, soft));
  }

  private static GradCheckResult result(String layer, String input, Tensor x, Tensor y) {
    Tensor analytic = SigmoidCrossEntropy.sigmoidCrossEntropyLoss(x, y).dx();
    Tensor numeric =
        GradCheck.evalNumericalGradient(
            t -> SigmoidCrossEntropy.sigmoidCrossEntropyLoss(t, y).loss(), x, GradCheck.DEFAULT_H);
    return new GradCheckResult(layer, input, GradCheck.relError(numeric, analytic), TOLERANCE);
  }
}
