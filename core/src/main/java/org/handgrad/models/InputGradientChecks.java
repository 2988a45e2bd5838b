package org.handgrad.models;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.handgrad.models.cnn.BnConvNet;
import org.handgrad.models.cnn.ThreeLayerConvNet;
import org.handgrad.models.fc.FullyConnectedNet;
import org.handgrad.models.fc.Normalization;
import org.handgrad.models.fc.TwoLayerNet;
import org.handgrad.models.linear.LinearClassifier;
import org.handgrad.models.linear.LinearSvm;
import org.handgrad.models.linear.Softmax;
import org.handgrad.models.vit.VisionTransformer;
import org.handgrad.nn.GradCheck;
import org.handgrad.nn.GradCheckResult;
import org.handgrad.nn.Model;
import org.handgrad.nn.Parameter;
import org.handgrad.nn.checks.ModuleChecks;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * Float64 gradient checks of {@link InputGradients} for every classifier: dx (and, as the contract
 * promises, every parameter gradient left behind) against the five-point centered difference of the
 * scalar {@code sum(dscores * loss(x))}, where {@code loss(x)} is the model's own evaluation mode
 * forward. Names {@code input_*}; {@code ./handgrad gradcheck} prints them next to the {@link
 * ModelChecks}.
 *
 * <p>Models with BatchNorm take one training step's forward ({@code loss(x, y)}, which fills the
 * running statistics) first, since evaluation mode needs them; models with dropout are checked with
 * it configured on, to show it is off in evaluation mode. Biases, betas and gammas are redrawn
 * ({@link ModelChecks#jitterVectors}) so no ReLU sits on its kink.
 */
public final class InputGradientChecks {
  private InputGradientChecks() {}

  private static final DType F64 = DType.FLOAT64;

  /** Check name to check, one per model family (and the fc variants). */
  public static Map<String, Supplier<List<GradCheckResult>>> checks() {
    Map<String, Supplier<List<GradCheckResult>>> m = new LinkedHashMap<>();
    LinearClassifier.Config lin = new LinearClassifier.Config(12, 4, 0.1, 0.5, true, F64, 3);
    m.put("input_svm", () -> check("input_svm", new LinearSvm(lin), 2, 3, 2, 2));
    m.put("input_softmax", () -> check("input_softmax", new Softmax(lin), 2, 3, 2, 2));
    m.put(
        "input_two_layer",
        () ->
            check(
                "input_two_layer",
                new TwoLayerNet(new TwoLayerNet.Config(5, 8, 4, 0.5, 0.3, F64, 21)),
                3,
                5));
    for (Normalization norm : Normalization.values()) {
      String name = "input_fc_" + norm.name().toLowerCase(java.util.Locale.ROOT);
      FullyConnectedNet.Config c =
          new FullyConnectedNet.Config(new int[] {6, 7}, 5, 4, 0.6, norm, 0.0, 0.6, F64, 31);
      m.put(name, () -> check(name, new FullyConnectedNet(c), 3, 5));
    }
    m.put(
        "input_cnn",
        () ->
            check(
                "input_cnn",
                new ThreeLayerConvNet(
                    new ThreeLayerConvNet.Config(new int[] {2, 6, 6}, 3, 3, 5, 4, 0.4, 0, F64, 41)),
                2,
                2,
                6,
                6));
    m.put(
        "input_bn_cnn",
        () ->
            check(
                "input_bn_cnn",
                new BnConvNet(
                    new BnConvNet.Config(
                        new int[] {1, 8, 8}, new int[] {2, 3}, 2, 5, 3, 0.7, 0.1, F64, 51)),
                4,
                1,
                8,
                8));
    m.put("input_vit", InputGradientChecks::vit);
    return m;
  }

  /** The tiny ViT of {@link ModelChecks} (dropout 0.2, off in evaluation mode), moved off init. */
  private static List<GradCheckResult> vit() {
    VisionTransformer vit =
        new VisionTransformer(
            new VisionTransformer.Config(new int[] {2, 4, 4}, 2, 4, 2, 2, 8, 3, 0.2, F64, 7));
    ModuleChecks.perturbParameters(vit, new SplittableRandom(12));
    return check("input_vit", vit, 2, 2, 4, 4);
  }

  /**
   * Checks dx and the parameter gradients of one model at a seeded input of the given shape and a
   * seeded dense dscores (every score contributes, so no path goes unchecked).
   *
   * @param name check name
   * @param model a float64 model that is also {@link InputGradients}
   * @param xShape input shape (N, ...)
   */
  public static List<GradCheckResult> check(String name, Model model, int... xShape) {
    InputGradients ig = (InputGradients) model;
    if (!(model instanceof VisionTransformer)) {
      ModelChecks.jitterVectors(model, name.hashCode());
    }
    Tensor x = ModelChecks.normal(name.hashCode() + 1L, 1.0, xShape);
    int n = xShape[0];
    // One training-mode pass fills BatchNorm's running statistics (evaluation mode reads them).
    model.loss(x, ModelChecks.labels(name.hashCode() + 2L, n, ig.numClasses()));
    Tensor dscores = ModelChecks.normal(name.hashCode() + 3L, 1.0, n, ig.numClasses());
    InputGradients.Result r = ig.inputGradient(x, dscores);
    List<Tensor> analytic = new ArrayList<>();
    for (Parameter p : model.parameters()) {
      analytic.add(p.grad().copy());
    }
    // The scalar whose gradient inputGradient computes, from the plain evaluation-mode forward.
    java.util.function.DoubleSupplier surrogate =
        () -> {
          Tensor s = model.loss(x);
          double sum = 0;
          for (int i = 0; i < s.size(); i++) {
            sum += s.getFlat(i) * dscores.getFlat(i);
          }
          return sum;
        };
    List<GradCheckResult> rows = new ArrayList<>();
    rows.add(row(name, "dx", ModelChecks.fivePointGradient(surrogate, x), r.dx()));
    int i = 0;
    for (Parameter p : model.parameters()) {
      Tensor numeric = ModelChecks.fivePointGradient(surrogate, p.value());
      rows.add(row(name, "d" + p.name(), numeric, analytic.get(i++)));
    }
    return rows;
  }

  /**
   * A result row. A gradient that vanishes by construction (the ViT's key bias: adding the same q.b
   * to a whole row of scores leaves the softmax unchanged) is compared by its largest absolute
   * difference, labelled "(abs)", as nn.checks.ModuleChecks does: a relative error would compare
   * two round-offs.
   */
  private static GradCheckResult row(String name, String input, Tensor numeric, Tensor analytic) {
    double largest = 0;
    double worst = 0;
    for (int j = 0; j < analytic.size(); j++) {
      largest = Math.max(largest, Math.abs(analytic.getFlat(j)));
      worst = Math.max(worst, Math.abs(numeric.getFlat(j) - analytic.getFlat(j)));
    }
    if (largest < 1e-12) {
      return new GradCheckResult(name, input + " (abs)", worst, ModelChecks.TOLERANCE);
    }
    return new GradCheckResult(
        name, input, GradCheck.relError(numeric, analytic), ModelChecks.TOLERANCE);
  }
}
