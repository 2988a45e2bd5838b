package org.handgrad.nn.checks;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.BiFunction;
import java.util.function.DoublePredicate;
import java.util.function.Function;
import java.util.function.Supplier;
import org.handgrad.nn.GradCheck;
import org.handgrad.nn.GradCheckResult;
import org.handgrad.nn.functional.Activations;
import org.handgrad.nn.functional.Affine;
import org.handgrad.nn.functional.AffineRelu;
import org.handgrad.nn.functional.Dropout;
import org.handgrad.nn.functional.Forward;
import org.handgrad.nn.functional.Losses;
import org.handgrad.nn.functional.Softmax;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * Float64 gradient checks of the dense layers: affine, affine-ReLU, every activation, softmax along
 * the last axis, the softmax and SVM losses, and dropout.
 *
 * <p>Inputs are small and seeded. Where a function has a kink (ReLU-like at 0, the hinge at margin
 * 0) or a flat point (GELU and SiLU have a minimum, where the gradient vanishes and the relative
 * error measures only round-off), the inputs are drawn away from it, so that the +-h perturbations
 * of the centered difference never straddle a kink. Upstream gradients are kept away from 0 for the
 * same reason. The tolerance stays at the CS231n-style 1e-7 for every check.
 */
public final class DenseChecks {
  private DenseChecks() {}

  /** Relative-error bound for every dense check. */
  public static final double TOLERANCE = 1e-7;

  private static final double H = GradCheck.DEFAULT_H;

  /** Layer name to check, in the order {@code ./handgrad gradcheck} prints them. */
  public static Map<String, Supplier<List<GradCheckResult>>> checks() {
    Map<String, Supplier<List<GradCheckResult>>> m = new LinkedHashMap<>();
    m.put("affine", DenseChecks::affine);
    m.put("affine_relu", DenseChecks::affineRelu);
    activation(m, "relu", 11, awayFromZero(), Activations::reluForward, Activations::reluBackward);
    activation(
        m,
        "leaky_relu",
        12,
        awayFromZero(),
        x -> Activations.leakyReluForward(x, 0.1),
        Activations::leakyReluBackward);
    activation(
        m, "sigmoid", 13, bounded(3), Activations::sigmoidForward, Activations::sigmoidBackward);
    activation(m, "tanh", 14, bounded(2), Activations::tanhForward, Activations::tanhBackward);
    // GELU's minimum is near x = -0.752 (exact and tanh forms alike): stay 0.1 away from it.
    DoublePredicate geluOk = bounded(3).and(v -> Math.abs(v + 0.752) > 0.1);
    activation(m, "gelu", 15, geluOk, Activations::geluForward, Activations::geluBackward);
    activation(
        m, "gelu_tanh", 16, geluOk, Activations::geluTanhForward, Activations::geluTanhBackward);
    // ELU with a non-default alpha, so a mix-up with the default would show.
    DoublePredicate kinkFree = awayFromZero().and(bounded(3));
    activation(
        m, "elu", 17, kinkFree, x -> Activations.eluForward(x, 0.7), Activations::eluBackward);
    activation(m, "selu", 18, kinkFree, Activations::seluForward, Activations::seluBackward);
    // SiLU's minimum is at x = -1.2785.
    DoublePredicate siluOk = bounded(3).and(v -> Math.abs(v + 1.2785) > 0.1);
    activation(m, "silu", 19, siluOk, Activations::siluForward, Activations::siluBackward);
    // Softmax along the last axis: smooth everywhere, any input will do.
    activation(m, "softmax", 20, any(), Softmax::softmaxForward, Softmax::softmaxBackward);
    m.put("softmax_loss", DenseChecks::softmaxLoss);
    m.put("svm_loss", DenseChecks::svmLoss);
    m.put("dropout", DenseChecks::dropout);
    return m;
  }

  // ---------------------------------------------------------------- layers

  private static List<GradCheckResult> affine() {
    SplittableRandom rng = new SplittableRandom(1);
    Tensor x = sample(rng, any(), 3, 2, 4); // N = 3, D = 8
    Tensor w = sample(rng, any(), 8, 5);
    Tensor b = sample(rng, any(), 5);
    Tensor dout = sample(rng, awayFromZero(), 3, 5);
    Affine.Grads g = Affine.affineBackward(dout, Affine.affineForward(x, w, b).cache());
    return List.of(
        row("affine", "dx", num(t -> Affine.affineForward(t, w, b).out(), x, dout), g.dx()),
        row("affine", "dw", num(t -> Affine.affineForward(x, t, b).out(), w, dout), g.dw()),
        row("affine", "db", num(t -> Affine.affineForward(x, w, t).out(), b, dout), g.db()));
  }

  private static List<GradCheckResult> affineRelu() {
    SplittableRandom rng = new SplittableRandom(2);
    Tensor x;
    Tensor w;
    Tensor b;
    // Redraw until every pre-activation is at least 0.1 from the ReLU kink: a perturbation of
    // h = 1e-5 in any input moves a pre-activation by far less than that.
    int attempts = 0;
    do {
      if (++attempts > 100) {
        throw new IllegalStateException("affine_relu check: no kink-free input in 100 draws");
      }
      x = sample(rng, any(), 4, 6);
      w = sample(rng, any(), 6, 5);
      b = sample(rng, any(), 5);
    } while (minAbs(Affine.affineForward(x, w, b).out()) < 0.1);
    Tensor dout = sample(rng, awayFromZero(), 4, 5);
    Tensor fx = x;
    Tensor fw = w;
    Tensor fb = b;
    Affine.Grads g =
        AffineRelu.affineReluBackward(dout, AffineRelu.affineReluForward(x, w, b).cache());
    return List.of(
        row(
            "affine_relu",
            "dx",
            num(t -> AffineRelu.affineReluForward(t, fw, fb).out(), x, dout),
            g.dx()),
        row(
            "affine_relu",
            "dw",
            num(t -> AffineRelu.affineReluForward(fx, t, fb).out(), w, dout),
            g.dw()),
        row(
            "affine_relu",
            "db",
            num(t -> AffineRelu.affineReluForward(fx, fw, t).out(), b, dout),
            g.db()));
  }

  /**
   * Registers the check of dx of one activation pair, on a seeded (4, 5) input whose elements
   * satisfy {@code ok}.
   */
  private static <C> void activation(
      Map<String, Supplier<List<GradCheckResult>>> checks,
      String name,
      long seed,
      DoublePredicate ok,
      Function<Tensor, Forward<C>> forward,
      BiFunction<Tensor, C, Tensor> backward) {
    checks.put(
        name,
        () -> {
          SplittableRandom rng = new SplittableRandom(seed);
          Tensor x = sample(rng, ok, 4, 5);
          Tensor dout = sample(rng, awayFromZero(), 4, 5);
          Tensor dx = backward.apply(dout, forward.apply(x).cache());
          return List.of(row(name, "dx", num(t -> forward.apply(t).out(), x, dout), dx));
        });
  }

  private static List<GradCheckResult> softmaxLoss() {
    SplittableRandom rng = new SplittableRandom(3);
    Tensor x = sample(rng, any(), 5, 6);
    int[] y = labels(rng, 5, 6);
    Tensor numeric = GradCheck.evalNumericalGradient(t -> Losses.softmaxLoss(t, y).loss(), x, H);
    return List.of(row("softmax_loss", "dx", numeric, Losses.softmaxLoss(x, y).dx()));
  }

  private static List<GradCheckResult> svmLoss() {
    SplittableRandom rng = new SplittableRandom(4);
    int n = 5;
    int c = 6;
    int[] y = labels(rng, n, c);
    // Each row is redrawn until all its margins x_j - x_y + 1 are at least 0.05 from the hinge.
    Tensor x = Tensor.zeros(DType.FLOAT64, n, c);
    for (int i = 0; i < n; i++) {
      boolean kinkFree;
      do {
        for (int j = 0; j < c; j++) {
          x.set(rng.nextGaussian(), i, j);
        }
        kinkFree = true;
        for (int j = 0; j < c; j++) {
          if (j != y[i] && Math.abs(x.get(i, j) - x.get(i, y[i]) + 1) < 0.05) {
            kinkFree = false;
          }
        }
      } while (!kinkFree);
    }
    Tensor numeric = GradCheck.evalNumericalGradient(t -> Losses.svmLoss(t, y).loss(), x, H);
    return List.of(row("svm_loss", "dx", numeric, Losses.svmLoss(x, y).dx()));
  }

  private static List<GradCheckResult> dropout() {
    SplittableRandom rng = new SplittableRandom(5);
    Tensor x = sample(rng, any(), 4, 6);
    Tensor dout = sample(rng, awayFromZero(), 4, 6);
    // The same seed in every forward call gives the same mask, so f is a fixed linear map.
    Dropout.DropoutParam param = Dropout.DropoutParam.train(0.6, 42);
    Tensor dx = Dropout.dropoutBackward(dout, Dropout.dropoutForward(x, param).cache());
    return List.of(
        row("dropout", "dx", num(t -> Dropout.dropoutForward(t, param).out(), x, dout), dx));
  }

  // ---------------------------------------------------------------- helpers

  private static GradCheckResult row(String layer, String input, Tensor numeric, Tensor analytic) {
    return new GradCheckResult(layer, input, GradCheck.relError(numeric, analytic), TOLERANCE);
  }

  private static Tensor num(Function<Tensor, Tensor> f, Tensor x, Tensor dout) {
    return GradCheck.evalNumericalGradientArray(f, x, dout, H);
  }

  /** A float64 tensor of standard normal draws, each redrawn until it satisfies {@code ok}. */
  private static Tensor sample(SplittableRandom rng, DoublePredicate ok, int... shape) {
    Tensor t = Tensor.zeros(DType.FLOAT64, shape);
    for (int i = 0; i < t.size(); i++) {
      double v;
      do {
        v = rng.nextGaussian();
      } while (!ok.test(v));
      t.setFlat(i, v);
    }
    return t;
  }

  private static int[] labels(SplittableRandom rng, int n, int c) {
    int[] y = new int[n];
    for (int i = 0; i < n; i++) {
      y[i] = rng.nextInt(c);
    }
    return y;
  }

  private static double minAbs(Tensor t) {
    double m = Double.POSITIVE_INFINITY;
    for (int i = 0; i < t.size(); i++) {
      m = Math.min(m, Math.abs(t.getFlat(i)));
    }
    return m;
  }

  private static DoublePredicate any() {
    return v -> true;
  }

  private static DoublePredicate awayFromZero() {
    return v -> Math.abs(v) > 0.1;
  }

  private static DoublePredicate bounded(double limit) {
    return v -> Math.abs(v) < limit;
  }
}
