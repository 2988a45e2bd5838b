package org.handgrad.nn.checks;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.function.Supplier;
import org.handgrad.nn.GradCheck;
import org.handgrad.nn.GradCheckResult;
import org.handgrad.nn.Module;
import org.handgrad.nn.Parameter;
import org.handgrad.nn.Sequential;
import org.handgrad.nn.functional.AffineNormRelu;
import org.handgrad.nn.functional.AffineNormRelu.Norm;
import org.handgrad.nn.functional.BatchNormParam;
import org.handgrad.nn.functional.ConvParam;
import org.handgrad.nn.functional.PoolParam;
import org.handgrad.nn.init.WeightInit;
import org.handgrad.nn.modules.AvgPool2d;
import org.handgrad.nn.modules.BatchNorm1d;
import org.handgrad.nn.modules.BatchNorm2d;
import org.handgrad.nn.modules.Conv2d;
import org.handgrad.nn.modules.ConvTranspose2d;
import org.handgrad.nn.modules.Dropout;
import org.handgrad.nn.modules.ELU;
import org.handgrad.nn.modules.Flatten;
import org.handgrad.nn.modules.GELU;
import org.handgrad.nn.modules.GroupNorm;
import org.handgrad.nn.modules.LayerNorm;
import org.handgrad.nn.modules.LeakyReLU;
import org.handgrad.nn.modules.Linear;
import org.handgrad.nn.modules.MaxPool2d;
import org.handgrad.nn.modules.ReLU;
import org.handgrad.nn.modules.SELU;
import org.handgrad.nn.modules.SiLU;
import org.handgrad.nn.modules.Tanh;
import org.handgrad.nn.modules.Upsample;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * Float64 gradient checks of the affine-norm-ReLU sandwich and of whole module trees: every input
 * and every parameter against numerical gradients, tolerance 1e-7.
 *
 * <ul>
 *   <li>{@code affine_norm_relu} (batchnorm, TRAIN mode) checks dx, dw, dgamma and dbeta, not db:
 *       the batch mean removes any constant shift of a column, so the true db is exactly zero and
 *       both the analytic value (~1e-17) and the centered difference (~1e-11) are round-off, whose
 *       CS231n relative error is meaningless (the CS231n notebook prints ~1e-3 for it). The tests
 *       assert instead that db vanishes. {@code affine_norm_relu_test} (running statistics) and
 *       {@code affine_norm_relu_layernorm} check all five gradients.
 *   <li>{@code sequential_mlp} and {@code sequential_convnet} check the input and every parameter
 *       of a {@link Sequential} in training mode, through BatchNorm, Dropout, LayerNorm, GroupNorm,
 *       convolutions, pools and upsampling. Each evaluation first restores the buffers (running
 *       statistics and the dropout generator), so every forward draws the same dropout mask and the
 *       function being differentiated is fixed. Layers feeding a BatchNorm have no bias (see
 *       above).
 * </ul>
 *
 * <p>The whole-network checks avoid three traps by the choice of input, never by a looser tolerance
 * (the input is redrawn, from a fixed seed, until all three hold):
 *
 * <ul>
 *   <li>Kinks: every input of a ReLU, leaky ReLU, ELU or SELU is more than {@value #MARGIN} from 0
 *       and every max-pool window's largest value leads the runner-up by more than {@value #MARGIN}
 *       (windows of zeros clamped by a ReLU may tie: the ReLU stops the gradient whichever wins).
 *   <li>Round-off: the centered difference carries an absolute error of ~1e-11 to 1e-10 (eps |f| /
 *       h, with f the whole output contracted with dout), so every non-zero analytic gradient
 *       element must be at least {@value #MIN_GRADIENT}; on smaller elements the relative error
 *       would measure the round-off, not the backward pass.
 *   <li>Truncation: normalization layers on small batches have large third derivatives (measured
 *       |f'''| ~ 1e4 |f'| on the MLP), so the centered difference's h^2 |f'''| / 6 alone reached
 *       the tolerance; the numerical gradient is therefore Richardson-extrapolated from steps h and
 *       2h, which cancels the h^2 term. Measured worst relative errors over 36 seed pairs per net:
 *       1.5e-8 (MLP), 1.8e-8 (convnet).
 * </ul>
 *
 * <p>The sandwich checks are single-layer and use the plain centered difference (their errors stay
 * below 1e-8).
 */
public final class ModuleChecks {
  private ModuleChecks() {}

  /** Tolerance of every case here: the house default. */
  public static final double TOLERANCE = 1e-7;

  /** Minimum distance of ReLU inputs from 0 and of max-pool winners from the runner-up. */
  public static final double MARGIN = 1e-2;

  /** Smallest non-zero analytic gradient element a whole-network check accepts. */
  public static final double MIN_GRADIENT = 1e-3;

  private static final double H = GradCheck.DEFAULT_H;
  private static final int MAX_DRAWS = 1000;
  private static final DType F64 = DType.FLOAT64;

  /** The checks of this family, by layer name. */
  public static Map<String, Supplier<List<GradCheckResult>>> checks() {
    Map<String, Supplier<List<GradCheckResult>>> m = new LinkedHashMap<>();
    m.put("affine_norm_relu", () -> affineNormRelu("affine_norm_relu", 301, NormKind.BATCH_TRAIN));
    m.put(
        "affine_norm_relu_test",
        () -> affineNormRelu("affine_norm_relu_test", 302, NormKind.BATCH_TEST));
    m.put(
        "affine_norm_relu_layernorm",
        () -> affineNormRelu("affine_norm_relu_layernorm", 303, NormKind.LAYER));
    m.put("sequential_mlp", () -> sequential("sequential_mlp", mlp(311), 312, 4, 5));
    m.put(
        "sequential_convnet",
        () -> sequential("sequential_convnet", convnet(321), 322, 2, 1, 4, 4));
    return m;
  }

  // --------------------------------------------------------------------------- affine-norm-relu

  private enum NormKind {
    BATCH_TRAIN,
    BATCH_TEST,
    LAYER
  }

  private static List<GradCheckResult> affineNormRelu(String layer, long seed, NormKind kind) {
    SplittableRandom rng = new SplittableRandom(seed);
    int n = 4;
    int d = 6;
    int m = 5;
    Tensor w = randn(rng, 0.5, 0, d, m);
    Tensor b = randn(rng, 1.0, 0, m);
    Tensor gamma = randn(rng, 0.3, 1, m);
    Tensor beta = randn(rng, 0.5, 0, m);
    Tensor runMean = randn(rng, 1.0, 0, m);
    Tensor runVar = randn(rng, 0.3, 1.5, m);
    Supplier<Norm> norm =
        () ->
            switch (kind) {
              case BATCH_TRAIN -> Norm.batchnorm(BatchNormParam.create(F64, m));
              case BATCH_TEST -> {
                BatchNormParam p = BatchNormParam.create(F64, m).withMode(BatchNormParam.Mode.TEST);
                p.loadStatistics(runMean, runVar);
                yield Norm.batchnorm(p);
              }
              case LAYER -> Norm.layernorm();
            };
    // Redraw x until every ReLU input is MARGIN away from the kink.
    Tensor x;
    int attempts = 0;
    do {
      if (++attempts > 100) {
        throw new IllegalStateException(layer + " check: no kink-free input in 100 draws");
      }
      x = randn(rng, 1.0, 0.5, n, 2, 3); // D = 6, flattened by the affine layer
    } while (minAbs(reluInput(x, w, b, gamma, beta, norm.get())) <= MARGIN);
    Tensor dout = randn(rng, 1.0, 0, n, m);
    Tensor fx = x;
    AffineNormRelu.Grads g =
        AffineNormRelu.affineNormReluBackward(
            dout, AffineNormRelu.affineNormReluForward(x, w, b, gamma, beta, norm.get()).cache());
    Function<Tensor[], Tensor> f =
        in ->
            AffineNormRelu.affineNormReluForward(in[0], in[1], in[2], in[3], in[4], norm.get())
                .out();
    Tensor[] in = {fx, w, b, gamma, beta};
    String[] names = {"dx", "dw", "db", "dgamma", "dbeta"};
    Tensor[] analytic = {g.dx(), g.dw(), g.db(), g.dgamma(), g.dbeta()};
    List<GradCheckResult> rows = new ArrayList<>();
    for (int i = 0; i < in.length; i++) {
      if (kind == NormKind.BATCH_TRAIN && names[i].equals("db")) {
        continue; // exactly zero in TRAIN-mode batchnorm: see the class comment
      }
      rows.add(row(layer, names[i], num(f, in, i, dout), analytic[i]));
    }
    return rows;
  }

  /** The normalised activation that enters the sandwich's ReLU (what its ReLU cache holds). */
  private static Tensor reluInput(Tensor x, Tensor w, Tensor b, Tensor gamma, Tensor beta, Norm n) {
    return AffineNormRelu.affineNormReluForward(x, w, b, gamma, beta, n).cache().relu().x();
  }

  // --------------------------------------------------------------------------- module trees

  /** Linear - BatchNorm1d - ReLU - Dropout - Linear - LayerNorm - Tanh - Linear, D = 5 to 3. */
  static Sequential mlp(long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    WeightInit init = WeightInit.pytorch();
    Sequential net =
        new Sequential(
            new Linear(5, 6, false, F64, init, rng),
            new BatchNorm1d(6, F64),
            new ReLU(),
            new Dropout(0.7, seed),
            new Linear(6, 5, true, F64, init, rng),
            new LayerNorm(5, F64),
            new Tanh(),
            new Linear(5, 3, F64, rng));
    perturbParameters(net, rng);
    return net;
  }

  /**
   * Conv2d - BatchNorm2d - ReLU - MaxPool2d - Conv2d - GroupNorm - GELU - ConvTranspose2d -
   * LeakyReLU - Upsample - AvgPool2d - SiLU - Flatten - Linear, on (N, 2, 6, 6) inputs.
   */
  static Sequential convnet(long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    WeightInit init = WeightInit.pytorch();
    Sequential net =
        new Sequential(
            new Conv2d(1, 2, 3, 3, new ConvParam(1, 1), false, F64, init, rng), // (N, 2, 4, 4)
            new BatchNorm2d(2, F64),
            new ReLU(),
            new MaxPool2d(2), // (N, 2, 2, 2)
            new Conv2d(2, 2, 3, new ConvParam(1, 1), F64, rng),
            new GroupNorm(1, 2, F64),
            new GELU(GELU.Approximate.TANH),
            new ConvTranspose2d(2, 1, 2, new ConvParam(2, 0), F64, rng), // (N, 1, 4, 4)
            new LeakyReLU(0.2),
            new Upsample(2, Upsample.Mode.BILINEAR), // (N, 1, 8, 8)
            new AvgPool2d(new PoolParam(2, 2, 2)), // (N, 1, 4, 4)
            new SiLU(),
            new Flatten(),
            new Linear(16, 3, F64, rng));
    perturbParameters(net, rng);
    return net;
  }

  /**
   * Moves every parameter off its initial value (gamma = 1, beta = 0 would let a backward pass that
   * confuses them pass), by N(0, 0.25^2) per element.
   */
  public static void perturbParameters(Module net, SplittableRandom rng) {
    for (Parameter p : net.parameters()) {
      Tensor v = p.value();
      for (int i = 0; i < v.size(); i++) {
        v.setFlat(i, v.getFlat(i) + 0.25 * rng.nextGaussian());
      }
    }
  }

  /**
   * Checks dx and every parameter gradient of a training-mode Sequential against centered
   * differences, on a seeded kink-free input of the given shape (package-private for the tests).
   */
  static List<GradCheckResult> sequential(String layer, Sequential net, long seed, int... xShape) {
    return module(layer, net, seed, xShape);
  }

  /**
   * Checks dx and every parameter gradient of any training-mode module (a tape-recorded block, a
   * whole model) against Richardson-extrapolated centered differences, on a seeded input of the
   * given shape, redrawn until every analytic gradient element is measurable (exactly 0 or at least
   * {@value #MIN_GRADIENT}) and, for a {@link Sequential}, kink-free. Buffers (dropout generators,
   * running statistics) are restored before every evaluation.
   *
   * @param layer the name in the result rows
   * @param net the module, float64
   * @param seed seeds the inputs and upstream gradients
   * @param xShape shape of the input
   * @return one row for dx, then one per parameter ("d" + its path name)
   */
  public static List<GradCheckResult> module(String layer, Module net, long seed, int... xShape) {
    SplittableRandom rng = new SplittableRandom(seed);
    net.train();
    Map<String, Tensor> initial = copies(net.buffers());
    Tensor x;
    Tensor dout;
    Tensor dx;
    int attempts = 0;
    while (true) {
      if (++attempts > MAX_DRAWS) {
        throw new IllegalStateException(
            layer
                + " check: no kink-free input with measurable gradients in "
                + MAX_DRAWS
                + " draws");
      }
      x = randn(rng, 1.0, 0, xShape);
      restore(net, initial);
      if (net instanceof Sequential chain && !kinkFree(chain, x)) {
        continue;
      }
      restore(net, initial);
      Tensor out = net.forward(x);
      dout = randn(rng, 1.0, 0, out.shape());
      net.zeroGrad();
      dx = net.backward(dout);
      if (measurable(dx)
          && net.parameters().stream().allMatch(p -> vanishes(p.grad()) || measurable(p.grad()))) {
        break;
      }
    }
    Tensor fx = x;
    // Every evaluation starts from the same buffers: same dropout mask, same running statistics.
    Function<Tensor, Tensor> f =
        t -> {
          restore(net, initial);
          return net.forward(fx);
        };
    List<GradCheckResult> rows = new ArrayList<>();
    rows.add(row(layer, "dx", richardson(f, x, dout), dx));
    for (Parameter p : net.parameters()) {
      Tensor numeric = richardson(f, p.value(), dout);
      rows.add(
          vanishes(p.grad())
              ? absoluteRow(layer, "d" + p.name(), numeric, p.grad())
              : row(layer, "d" + p.name(), numeric, p.grad()));
    }
    return rows;
  }

  /**
   * True for a gradient that is zero in exact arithmetic and round-off in floating point (every
   * element below 1e-12): the key projection's bias in attention (it adds one constant to a whole
   * row of scores, which the softmax ignores), a bias before a BatchNorm. Its relative error would
   * compare two round-offs, so such a gradient is checked by its absolute error instead.
   */
  static boolean vanishes(Tensor g) {
    for (int i = 0; i < g.size(); i++) {
      if (Math.abs(g.getFlat(i)) >= 1e-12) {
        return false;
      }
    }
    return true;
  }

  /**
   * A row for a vanishing gradient: the largest ABSOLUTE difference from the numerical gradient
   * (whose own round-off is ~1e-11), labelled "(abs)".
   */
  static GradCheckResult absoluteRow(String layer, String input, Tensor numeric, Tensor analytic) {
    double worst = 0;
    for (int i = 0; i < numeric.size(); i++) {
      worst = Math.max(worst, Math.abs(numeric.getFlat(i) - analytic.getFlat(i)));
    }
    return new GradCheckResult(layer, input + " (abs)", worst, TOLERANCE);
  }

  /**
   * Runs the layers one by one and checks that every ReLU input is MARGIN away from 0 and that in
   * every max-pool window the maximum leads the runner-up by more than MARGIN.
   */
  static boolean kinkFree(Sequential net, Tensor x) {
    Tensor a = x;
    for (Module layer : net.layers()) {
      boolean kinked =
          layer instanceof ReLU
              || layer instanceof LeakyReLU
              || layer instanceof ELU
              || layer instanceof SELU;
      if (kinked && minAbs(a) <= MARGIN) {
        return false;
      }
      if (layer instanceof MaxPool2d pool && minWindowGap(a, pool.param()) <= MARGIN) {
        return false;
      }
      a = layer.forward(a);
    }
    return true;
  }

  /**
   * The smallest gap between the largest and second-largest value of any pooling window whose
   * maximum is not 0.
   */
  private static double minWindowGap(Tensor x, PoolParam p) {
    int n = x.shape(0);
    int c = x.shape(1);
    int h = x.shape(2);
    int w = x.shape(3);
    int ho = 1 + (h - p.poolHeight()) / p.stride();
    int wo = 1 + (w - p.poolWidth()) / p.stride();
    double gap = Double.POSITIVE_INFINITY;
    for (int i = 0; i < n; i++) {
      for (int k = 0; k < c; k++) {
        for (int r = 0; r < ho; r++) {
          for (int s = 0; s < wo; s++) {
            double first = Double.NEGATIVE_INFINITY;
            double second = Double.NEGATIVE_INFINITY;
            for (int u = 0; u < p.poolHeight(); u++) {
              for (int v = 0; v < p.poolWidth(); v++) {
                double val = x.get(i, k, r * p.stride() + u, s * p.stride() + v);
                if (val > first) {
                  second = first;
                  first = val;
                } else if (val > second) {
                  second = val;
                }
              }
            }
            // A window of ReLU zeros ties harmlessly: the ReLU stops the gradient whichever wins.
            if (first != 0) {
              gap = Math.min(gap, first - second);
            }
          }
        }
      }
    }
    return gap;
  }

  // --------------------------------------------------------------------------- helpers

  /**
   * Richardson extrapolation of two centered differences of {@link
   * GradCheck#evalNumericalGradientArray}: with D(h) = f' + c h^2 + O(h^4), {@code (4 D(h) - D(2h))
   * / 3 = f' + O(h^4)}; its round-off is about 1.5 times that of D(h).
   */
  private static Tensor richardson(Function<Tensor, Tensor> f, Tensor x, Tensor dout) {
    Tensor d1 = GradCheck.evalNumericalGradientArray(f, x, dout, H);
    Tensor d2 = GradCheck.evalNumericalGradientArray(f, x, dout, 2 * H);
    for (int i = 0; i < d1.size(); i++) {
      d1.setFlat(i, (4 * d1.getFlat(i) - d2.getFlat(i)) / 3);
    }
    return d1;
  }

  /**
   * True when every element is exactly 0 or at least {@value #MIN_GRADIENT} in magnitude: the
   * centered difference carries an absolute error of ~1e-11 (round-off), which on a smaller element
   * would dominate its relative error whatever the backward pass does.
   */
  static boolean measurable(Tensor g) {
    for (int i = 0; i < g.size(); i++) {
      double v = Math.abs(g.getFlat(i));
      if (v != 0 && v < MIN_GRADIENT) {
        return false;
      }
    }
    return true;
  }

  private static Map<String, Tensor> copies(Map<String, Tensor> buffers) {
    Map<String, Tensor> out = new LinkedHashMap<>();
    buffers.forEach((k, v) -> out.put(k, v.copy()));
    return out;
  }

  /** Copies saved values into the live buffers, as a checkpoint restore does. */
  private static void restore(Module net, Map<String, Tensor> saved) {
    net.buffers()
        .forEach(
            (k, live) -> {
              Tensor s = saved.get(k);
              for (int i = 0; i < live.size(); i++) {
                live.setFlat(i, s.getFlat(i));
              }
            });
  }

  /** Numerical gradient with respect to {@code in[i]}, the other inputs fixed. */
  private static Tensor num(Function<Tensor[], Tensor> f, Tensor[] in, int i, Tensor dout) {
    return GradCheck.evalNumericalGradientArray(t -> f.apply(in), in[i], dout, H);
  }

  private static GradCheckResult row(String layer, String input, Tensor numeric, Tensor analytic) {
    return new GradCheckResult(layer, input, GradCheck.relError(numeric, analytic), TOLERANCE);
  }

  /** A float64 tensor of {@code mean + std * N(0, 1)} draws. */
  private static Tensor randn(SplittableRandom rng, double std, double mean, int... shape) {
    Tensor t = Tensor.zeros(F64, shape);
    for (int i = 0; i < t.size(); i++) {
      t.setFlat(i, mean + std * rng.nextGaussian());
    }
    return t;
  }

  private static double minAbs(Tensor t) {
    double m = Double.POSITIVE_INFINITY;
    for (int i = 0; i < t.size(); i++) {
      m = Math.min(m, Math.abs(t.getFlat(i)));
    }
    return m;
  }
}
