package org.handgrad.models;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;
import java.util.function.Supplier;
import org.handgrad.models.cnn.BnConvNet;
import org.handgrad.models.cnn.ThreeLayerConvNet;
import org.handgrad.models.fc.FullyConnectedNet;
import org.handgrad.models.fc.Normalization;
import org.handgrad.models.fc.TwoLayerNet;
import org.handgrad.models.linear.LinearClassifier;
import org.handgrad.models.linear.LinearSvm;
import org.handgrad.models.linear.Softmax;
import org.handgrad.models.resnet.ResNet;
import org.handgrad.nn.GradCheck;
import org.handgrad.nn.GradCheckResult;
import org.handgrad.nn.Model;
import org.handgrad.nn.Parameter;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * Float64 gradient checks of whole models: for every parameter, the gradient that {@code loss(x,
 * y)} writes is compared with centered differences of {@code loss(x, y)} itself (CS231n's check of
 * {@code model.loss} with {@code eval_numerical_gradient}), element by element.
 *
 * <p>Randomness is pinned: before every evaluation the model's buffers are restored to a snapshot,
 * so each call draws the same dropout masks (the model's seed stream state is a buffer) and sees
 * the same running statistics. Inputs are small and seeded.
 *
 * <p>Two choices keep the comparison meaningful at the 1e-7 bound:
 *
 * <ul>
 *   <li>Fourth-order differences. A whole-model loss is a batch average of size ~1 whose gradient
 *       has elements as small as 1e-5..1e-4. CS231n's two-point difference with h = 1e-5 has a
 *       round-off floor of about eps * |L| / h ~ 2e-11 (more after BatchNorm's reductions), i.e. a
 *       relative error above 1e-7 for any element below ~1e-4, whether the backward pass is right
 *       or wrong. The five-point stencil {@code (-f(x+2h) + 8 f(x+h) - 8 f(x-h) + f(x-2h)) / 12h}
 *       with h = 1e-3 has truncation error O(h^4) ~ 1e-13 and round-off ~ eps |L| / h ~ 2e-13, so
 *       the bound tests the backward pass rather than the difference formula.
 *   <li>No degenerate starting point. Freshly built models have zero biases and betas and unit
 *       gammas; with zero biases a hidden unit whose inputs are all dropped (or dead) sits exactly
 *       on the ReLU kink. The checks redraw every 1-D parameter (biases, betas around 0, gammas
 *       around 1) from a seeded normal first.
 * </ul>
 *
 * <p>These live in the models package rather than in {@code nn.checks} because models sit above nn
 * (nn must not depend on them); the CLI can merge this map with {@code GradCheckSuite.all()}.
 */
public final class ModelChecks {
  private ModelChecks() {}

  /** Relative-error bound for every model check. */
  public static final double TOLERANCE = 1e-7;

  private static final DType F64 = DType.FLOAT64;

  /** Check name to check, one per model configuration. */
  public static Map<String, Supplier<List<GradCheckResult>>> checks() {
    Map<String, Supplier<List<GradCheckResult>>> m = new LinkedHashMap<>();
    m.put("model_svm", () -> linear("model_svm", true));
    m.put("model_softmax", () -> linear("model_softmax", false));
    m.put("model_two_layer", ModelChecks::twoLayer);
    m.put("model_fc", () -> fc("model_fc", Normalization.NONE, 1.0, 0.7));
    m.put("model_fc_dropout", () -> fc("model_fc_dropout", Normalization.NONE, 0.6, 0.0));
    m.put("model_fc_batchnorm", () -> fc("model_fc_batchnorm", Normalization.BATCHNORM, 1, 0.3));
    m.put("model_fc_layernorm", () -> fc("model_fc_layernorm", Normalization.LAYERNORM, 0.8, 0));
    m.put("model_cnn", ModelChecks::cnn);
    m.put("model_bn_cnn", ModelChecks::bnCnn);
    m.putAll(org.handgrad.models.transformer.TransformerChecks.checks());
    m.put("model_vit", ModelChecks::vit);
    m.put("model_vit_conv_stem", ModelChecks::vitConvStem);
    m.putAll(org.handgrad.models.diffusion.UNetChecks.checks());
    m.put("model_resnet_small", ModelChecks::resnetSmall);
    return m;
  }

  /**
   * A narrow CIFAR-style ResNet in training mode, the input and every parameter checked through the
   * whole network as a module ({@link org.handgrad.nn.checks.ModuleChecks#module}: the input is
   * redrawn until every gradient element is measurable; Richardson-extrapolated differences): (2,
   * 6, 6) images, widths 2/3/4, two blocks in the first stage, so identity and projection shortcuts
   * and the rounded-down stride-2 convolutions (6 + 2 - 3 = 5) are all on the path. The ImageNet
   * stem's two layers are checked on their own (ConvChecks: conv "s2 p3 floor", maxpool "3x3 s2
   * p1"): through the whole stem some input pixels feed a single window of the 7x7 stride-2 conv,
   * and their gradient elements stay below the measurable 1e-3 for every draw.
   */
  private static List<GradCheckResult> resnetSmall() {
    ResNet.Config c =
        new ResNet.Config(
            new int[] {2, 6, 6},
            ResNet.Stem.CIFAR,
            new int[] {2, 3, 4},
            new int[] {2, 1, 1},
            3,
            F64,
            61);
    ResNet net = new ResNet(c);
    org.handgrad.nn.checks.ModuleChecks.perturbParameters(net, new java.util.SplittableRandom(64));
    return org.handgrad.nn.checks.ModuleChecks.module("model_resnet_small", net, 65, 4, 2, 6, 6);
  }

  private static List<GradCheckResult> linear(String name, boolean svm) {
    // Implicit bias, so the bias row's gradient (column sums) is checked too.
    LinearClassifier.Config c = new LinearClassifier.Config(7, 4, 0.1, 0.5, true, F64, 3);
    LinearClassifier model = svm ? new LinearSvm(c) : new Softmax(c);
    return check(name, model, normal(11, 1.0, 6, 7), labels(12, 6, 4));
  }

  /**
   * A tiny Vision Transformer in training mode (dropout 0.2): (2, 4, 4) images, patch 2, dim 4, two
   * layers of two heads. Its parameters are moved off the 0.02-scale initialization first, where
   * attention is nearly uniform and the query/key gradients (~1e-6) would measure the centered
   * difference's round-off; the input and every parameter are checked as a module.
   */
  private static List<GradCheckResult> vit() {
    org.handgrad.models.vit.VisionTransformer vit =
        new org.handgrad.models.vit.VisionTransformer(
            new org.handgrad.models.vit.VisionTransformer.Config(
                new int[] {2, 4, 4}, 2, 4, 2, 2, 8, 3, 0.2, DType.FLOAT64, 7));
    org.handgrad.nn.checks.ModuleChecks.perturbParameters(vit, new java.util.SplittableRandom(12));
    return org.handgrad.nn.checks.ModuleChecks.module("model_vit", vit, 11, 2, 2, 4, 4);
  }

  /**
   * The ViT with the convolutional stem, in training mode: (1, 8, 8) images, patch 4 (two stride-2
   * conv-BN-ReLU layers of widths 2 and 4), dim 4, one layer of two heads, parameters moved off
   * their initialization. The loss is {@code sum(scores * dout)} for a fixed random dout, compared
   * with {@link #fivePointGradient} by {@link #perTensorRow}: {@link ModuleChecks#module}'s
   * redrawing found no input in 1,000 draws where every element of the stem's gradients exceeds
   * 1e-3 (two BatchNorms behind ReLUs make some elements tiny by chance).
   */
  private static List<GradCheckResult> vitConvStem() {
    String name = "model_vit_conv_stem";
    org.handgrad.models.vit.VisionTransformer vit =
        new org.handgrad.models.vit.VisionTransformer(
            new org.handgrad.models.vit.VisionTransformer.Config(
                new int[] {1, 8, 8},
                4,
                4,
                1,
                2,
                8,
                3,
                0.0,
                DType.FLOAT64,
                8,
                org.handgrad.models.vit.VisionTransformer.Stem.CONV));
    org.handgrad.nn.checks.ModuleChecks.perturbParameters(vit, new java.util.SplittableRandom(13));
    Tensor x = normal(14, 1.0, 3, 1, 8, 8);
    Tensor dout = normal(15, 1.0, 3, 3);
    vit.train();
    vit.zeroGrad();
    vit.forward(x);
    Tensor dx = vit.backward(dout);
    // training mode: batch statistics, no running ones read
    return perTensorChecks(name, () -> vit.forward(x), x, dout, dx, vit.parameters());
  }

  private static List<GradCheckResult> twoLayer() {
    TwoLayerNet model = new TwoLayerNet(new TwoLayerNet.Config(5, 8, 4, 0.5, 0.3, F64, 21));
    return check("model_two_layer", model, normal(22, 1.0, 4, 5), labels(23, 4, 4));
  }

  private static List<GradCheckResult> fc(
      String name, Normalization norm, double keep, double reg) {
    FullyConnectedNet.Config c =
        new FullyConnectedNet.Config(new int[] {6, 7}, 5, 4, keep, norm, reg, 0.6, F64, 31);
    // A bias right before a batchnorm has gradient identically 0 (the normalisation subtracts the
    // batch mean, so the loss does not depend on it): relative error would compare round-off with
    // round-off. FullyConnectedNetTest checks those biases for a zero gradient instead.
    Set<String> vanishing = norm == Normalization.BATCHNORM ? Set.of("b1", "b2") : Set.of();
    return check(
        name, new FullyConnectedNet(c), normal(32, 1.0, 6, 5), labels(33, 6, 4), vanishing);
  }

  private static List<GradCheckResult> cnn() {
    ThreeLayerConvNet.Config c =
        new ThreeLayerConvNet.Config(new int[] {2, 6, 6}, 3, 3, 5, 4, 0.4, 0.2, F64, 41);
    return check(
        "model_cnn", new ThreeLayerConvNet(c), normal(42, 1.0, 2, 2, 6, 6), labels(43, 2, 4));
  }

  private static List<GradCheckResult> bnCnn() {
    BnConvNet.Config c =
        new BnConvNet.Config(new int[] {1, 8, 8}, new int[] {2, 3}, 1, 5, 3, 0.7, 0.1, F64, 51);
    return check("model_bn_cnn", new BnConvNet(c), normal(52, 1.0, 4, 1, 8, 8), labels(53, 4, 3));
  }

  /**
   * Compares the analytic gradient of every parameter with the numerical one.
   *
   * @param name check name
   * @param model a float64 model
   * @param x input batch
   * @param y labels
   */
  public static List<GradCheckResult> check(String name, Model model, Tensor x, int[] y) {
    return check(name, model, x, y, Set.of());
  }

  /**
   * As {@link #check(String, Model, Tensor, int[])}, leaving out parameters whose gradient is
   * identically zero by construction (they must be tested for that separately).
   *
   * @param skip names of parameters not to check
   */
  public static List<GradCheckResult> check(
      String name, Model model, Tensor x, int[] y, Set<String> skip) {
    jitterVectors(model, name.hashCode());
    Map<String, Tensor> snapshot = snapshot(model.buffers());
    restore(model.buffers(), snapshot);
    model.loss(x, y);
    List<Tensor> analytic = new ArrayList<>();
    for (Parameter p : model.parameters()) {
      analytic.add(p.grad().copy());
    }
    List<GradCheckResult> rows = new ArrayList<>();
    int i = 0;
    for (Parameter p : model.parameters()) {
      if (skip.contains(p.name())) {
        i++;
        continue;
      }
      Tensor numeric =
          fivePointGradient(
              () -> {
                restore(model.buffers(), snapshot);
                return model.loss(x, y);
              },
              p.value());
      rows.add(
          new GradCheckResult(
              name, "d" + p.name(), GradCheck.relError(numeric, analytic.get(i++)), TOLERANCE));
    }
    restore(model.buffers(), snapshot);
    return rows;
  }

  /** The step of the five-point stencil. */
  public static final double H = 1e-4;

  /**
   * The whole-network check of a loss {@code L = sum(out * dout)} for a fixed dout: dx and every
   * parameter gradient that one backward(dout) gave, against {@link #fivePointGradient} of L, each
   * row by {@link #perTensorRow}.
   *
   * @param layer the check's name
   * @param forward runs the forward pass on x (and the current parameter values)
   * @param x the input the forward reads, perturbed in place by the difference
   * @param dout the fixed upstream gradient, shape of the output
   * @param dx the backward's dL/dx
   * @param params the parameters, their gradients filled by the same backward
   */
  public static List<GradCheckResult> perTensorChecks(
      String layer,
      Supplier<Tensor> forward,
      Tensor x,
      Tensor dout,
      Tensor dx,
      List<Parameter> params) {
    DoubleSupplier loss =
        () -> {
          Tensor out = forward.get();
          double s = 0;
          for (int i = 0; i < out.size(); i++) {
            s += out.getFlat(i) * dout.getFlat(i);
          }
          return s;
        };
    List<GradCheckResult> rows = new ArrayList<>();
    rows.add(perTensorRow(layer, "dx", fivePointGradient(loss, x), dx));
    for (Parameter p : params) {
      rows.add(perTensorRow(layer, "d" + p.name(), fivePointGradient(loss, p.value()), p.grad()));
    }
    return rows;
  }

  /**
   * A whole-network check row whose error is {@code max|numeric - analytic| / max|analytic|} over
   * the tensor (bound {@link #TOLERANCE}), not element by element: among the thousands of gradient
   * elements of a whole network some are ~1e-8 by chance, where the difference's round-off (~1e-11)
   * alone is a CS231n relative error of 1e-3 (measured on an early U-Net: 3e-3 on one element of
   * {@code down.0.film.weight}, whose largest element agreed to 1e-10). A tensor that is zero in
   * exact arithmetic (the key projection's bias: it adds one constant to a row of scores, which the
   * softmax ignores) is compared by the absolute difference and labelled "(abs)".
   *
   * @param layer the check's name
   * @param input the gradient's name, "dx" or "d" + parameter name
   * @param numeric the numerical gradient
   * @param analytic the hand-written backward's gradient, same shape
   */
  public static GradCheckResult perTensorRow(
      String layer, String input, Tensor numeric, Tensor analytic) {
    double largest = 0;
    double diff = 0;
    for (int i = 0; i < analytic.size(); i++) {
      largest = Math.max(largest, Math.abs(analytic.getFlat(i)));
      diff = Math.max(diff, Math.abs(analytic.getFlat(i) - numeric.getFlat(i)));
    }
    if (largest < 1e-12) {
      return new GradCheckResult(layer, input + " (abs)", diff, TOLERANCE);
    }
    return new GradCheckResult(layer, input, diff / largest, TOLERANCE);
  }

  /**
   * Fourth-order centered difference {@code (-f(x+2h) + 8 f(x+h) - 8 f(x-h) + f(x-2h)) / 12h} of a
   * loss that reads x, for every element of x (perturbed in place and restored).
   *
   * @param loss evaluates the loss at the current x
   * @param x the parameter, any shape
   * @return the numerical gradient, shape of x, float64
   */
  public static Tensor fivePointGradient(DoubleSupplier loss, Tensor x) {
    Tensor grad = Tensor.zeros(F64, x.shape());
    for (int i = 0; i < x.size(); i++) {
      double old = x.getFlat(i);
      double[] f = new double[4];
      double[] steps = {2 * H, H, -H, -2 * H};
      for (int s = 0; s < 4; s++) {
        x.setFlat(i, old + steps[s]);
        f[s] = loss.getAsDouble();
      }
      x.setFlat(i, old);
      // Differences first: equal losses (a parameter with no effect) then give exactly 0.
      grad.setFlat(i, (8 * (f[1] - f[2]) - (f[0] - f[3])) / (12 * H));
    }
    return grad;
  }

  /** Redraws every 1-D parameter: betas and biases ~ N(0, 0.5^2), gammas ~ 1 + N(0, 0.2^2). */
  public static void jitterVectors(Model model, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    for (Parameter p : model.parameters()) {
      if (p.value().ndim() != 1) {
        continue;
      }
      boolean scale = p.name().startsWith("gamma");
      for (int i = 0; i < p.size(); i++) {
        p.value().setFlat(i, scale ? 1 + 0.2 * rng.nextGaussian() : 0.5 * rng.nextGaussian());
      }
    }
  }

  /** Copies of the buffer values. */
  public static Map<String, Tensor> snapshot(Map<String, Tensor> buffers) {
    Map<String, Tensor> m = new LinkedHashMap<>();
    buffers.forEach((k, v) -> m.put(k, v.copy()));
    return m;
  }

  /** Copies snapshot values back into the live buffers. */
  public static void restore(Map<String, Tensor> buffers, Map<String, Tensor> snapshot) {
    buffers.forEach(
        (k, v) -> {
          Tensor s = snapshot.get(k);
          for (int j = 0; j < v.size(); j++) {
            v.setFlat(j, s.getFlat(j));
          }
        });
  }

  /** A seeded float64 tensor of N(0, std^2) samples. */
  public static Tensor normal(long seed, double std, int... shape) {
    SplittableRandom rng = new SplittableRandom(seed);
    Tensor t = Tensor.zeros(F64, shape);
    for (int i = 0; i < t.size(); i++) {
      t.setFlat(i, std * rng.nextGaussian());
    }
    return t;
  }

  /** Seeded labels in [0, classes). */
  public static int[] labels(long seed, int n, int classes) {
    SplittableRandom rng = new SplittableRandom(seed);
    int[] y = new int[n];
    for (int i = 0; i < n; i++) {
      y[i] = rng.nextInt(classes);
    }
    return y;
  }
}
