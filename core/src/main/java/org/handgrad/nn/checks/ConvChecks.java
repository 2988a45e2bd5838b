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
import org.handgrad.nn.functional.Conv;
import org.handgrad.nn.functional.ConvParam;
import org.handgrad.nn.functional.ConvRelu;
import org.handgrad.nn.functional.ConvReluPool;
import org.handgrad.nn.functional.ConvTranspose;
import org.handgrad.nn.functional.Pool;
import org.handgrad.nn.functional.PoolParam;
import org.handgrad.nn.functional.Upsample;
import org.handgrad.tensor.Tensor;

/**
 * Float64 gradient checks of the convolution family (conv, pooling, transposed conv, upsampling and
 * the conv sandwiches): every input and parameter of every pair against centered differences, on
 * small seeded inputs, tolerance 1e-7.
 *
 * <p>Traps are avoided by the choice of inputs, never by a looser tolerance:
 *
 * <ul>
 *   <li>The CS231n relative error is taken per element, and a centered difference carries an
 *       absolute round-off of about eps * |out| / h ~ 1e-11; on a gradient element that happens to
 *       be ~1e-4 that alone is a relative error of 1e-7. The layers here are linear in each
 *       argument, so their cases draw x, w, b and dout uniformly from [0.5, 1.5): every gradient
 *       element is then a sum of positive products, bounded away from 0, and the check measures the
 *       backward pass rather than round-off. (Mixed-sign inputs are covered by the naive vs fast
 *       and PyTorch fixture tests.)
 *   <li>Max-pool inputs are a shuffled grid of distinct values 0.05 apart: no ties within h.
 *   <li>The ReLU sandwiches use normal inputs whose pre-activations all stay more than 1e-3 from
 *       the kink (asserted in the tests).
 * </ul>
 */
public final class ConvChecks {
  private ConvChecks() {}

  /** Tolerance of every case here: the house default. */
  public static final double TOLERANCE = 1e-7;

  /** The checks of this family, by layer name. */
  public static Map<String, Supplier<List<GradCheckResult>>> checks() {
    Map<String, Supplier<List<GradCheckResult>>> m = new LinkedHashMap<>();
    m.put("conv", () -> conv("conv", false));
    m.put("conv_naive", () -> conv("conv_naive", true));
    m.put("maxpool", ConvChecks::maxPool);
    m.put("avgpool", ConvChecks::avgPool);
    m.put("conv_transpose", ConvChecks::convTranspose);
    m.put("upsample_nearest", () -> upsample("upsample_nearest", false));
    m.put("upsample_bilinear", () -> upsample("upsample_bilinear", true));
    m.put("conv_relu", ConvChecks::convRelu);
    m.put("conv_relu_pool", ConvChecks::convReluPool);
    return m;
  }

  // --------------------------------------------------------------------------- cases

  private static List<GradCheckResult> conv(String layer, boolean naive) {
    List<GradCheckResult> r = new ArrayList<>();
    // Square kernel with stride 2 and pad 1; non-square kernel and input with stride 1 and pad 2.
    convCase(
        r, layer, naive, "s2 p1", 101, new int[] {2, 3, 7, 7}, new int[] {4, 3, 3, 3}, cp(2, 1));
    convCase(
        r, layer, naive, "s1 p2", 102, new int[] {2, 2, 5, 6}, new int[] {3, 2, 3, 2}, cp(1, 2));
    // PyTorch's rounding down (a ResNet stem): 8 + 6 - 5 = 9 is odd, the last row is never read.
    convCase(
        r,
        layer,
        naive,
        "s2 p3 floor",
        103,
        new int[] {1, 2, 8, 8},
        new int[] {2, 2, 5, 5},
        ConvParam.torch(2, 3));
    return r;
  }

  private static ConvParam cp(int stride, int pad) {
    return new ConvParam(stride, pad);
  }

  private static void convCase(
      List<GradCheckResult> r,
      String layer,
      boolean naive,
      String tag,
      long seed,
      int[] xShape,
      int[] wShape,
      ConvParam p) {
    SplittableRandom rng = new SplittableRandom(seed);
    Tensor x = positive(rng, xShape);
    Tensor w = positive(rng, wShape);
    Tensor b = positive(rng, wShape[0]);
    Function<Tensor, Tensor> f =
        t -> naive ? Conv.convForwardNaive(x, w, b, p).out() : Conv.convForward(x, w, b, p).out();
    Tensor out = f.apply(x);
    Tensor dout = positive(rng, out.shape());
    Conv.Cache cache =
        (naive ? Conv.convForwardNaive(x, w, b, p) : Conv.convForward(x, w, b, p)).cache();
    Conv.Grads g = naive ? Conv.convBackwardNaive(dout, cache) : Conv.convBackward(dout, cache);
    r.add(check(layer, "dx (" + tag + ")", f, x, dout, g.dx()));
    r.add(check(layer, "dw (" + tag + ")", f, w, dout, g.dw()));
    r.add(check(layer, "db (" + tag + ")", f, b, dout, g.db()));
  }

  private static List<GradCheckResult> maxPool() {
    List<GradCheckResult> r = new ArrayList<>();
    SplittableRandom rng = new SplittableRandom(201);
    // 2x2 stride 2 needs even sizes; the overlapping 3x2 stride-1 window takes any; the ResNet
    // stem's padded 3x3 stride-2 window rounds down on a 6x7 map.
    PoolParam[] params = {new PoolParam(2, 2, 2), new PoolParam(3, 2, 1), PoolParam.torch(3, 2, 1)};
    int[][] shapes = {{2, 3, 6, 4}, {2, 3, 6, 5}, {2, 2, 6, 7}};
    for (int c = 0; c < params.length; c++) {
      PoolParam p = params[c];
      Tensor x = distinct(rng, shapes[c]);
      String tag =
          p.poolHeight()
              + "x"
              + p.poolWidth()
              + " s"
              + p.stride()
              + (p.pad() > 0 ? " p" + p.pad() : "");
      Function<Tensor, Tensor> fast = t -> Pool.maxPoolForward(x, p).out();
      Function<Tensor, Tensor> naive = t -> Pool.maxPoolForwardNaive(x, p).out();
      Tensor dout = positive(rng, fast.apply(x).shape());
      Tensor dxFast = Pool.maxPoolBackward(dout, Pool.maxPoolForward(x, p).cache()).dx();
      Tensor dxNaive = Pool.maxPoolBackwardNaive(dout, Pool.maxPoolForwardNaive(x, p).cache()).dx();
      r.add(check("maxpool", "dx (" + tag + ")", fast, x, dout, dxFast));
      r.add(check("maxpool", "dx (" + tag + ", naive)", naive, x, dout, dxNaive));
    }
    return r;
  }

  private static List<GradCheckResult> avgPool() {
    List<GradCheckResult> r = new ArrayList<>();
    SplittableRandom rng = new SplittableRandom(301);
    for (PoolParam p : new PoolParam[] {new PoolParam(2, 2, 2), new PoolParam(3, 2, 1)}) {
      Tensor x = positive(rng, 2, 3, 6, 4);
      String tag = p.poolHeight() + "x" + p.poolWidth() + " s" + p.stride();
      Function<Tensor, Tensor> fast = t -> Pool.avgPoolForward(x, p).out();
      Function<Tensor, Tensor> naive = t -> Pool.avgPoolForwardNaive(x, p).out();
      Tensor dout = positive(rng, fast.apply(x).shape());
      Pool.Cache cache = Pool.avgPoolForward(x, p).cache();
      r.add(
          check(
              "avgpool",
              "dx (" + tag + ")",
              fast,
              x,
              dout,
              Pool.avgPoolBackward(dout, cache).dx()));
      r.add(
          check(
              "avgpool",
              "dx (" + tag + ", naive)",
              naive,
              x,
              dout,
              Pool.avgPoolBackwardNaive(dout, cache).dx()));
    }
    return r;
  }

  private static List<GradCheckResult> convTranspose() {
    List<GradCheckResult> r = new ArrayList<>();
    SplittableRandom rng = new SplittableRandom(401);
    Tensor x = positive(rng, 2, 3, 4, 5);
    Tensor w = positive(rng, 3, 2, 3, 3);
    Tensor b = positive(rng, 2);
    ConvParam p = new ConvParam(2, 1);
    Function<Tensor, Tensor> fast = t -> ConvTranspose.convTransposeForward(x, w, b, p).out();
    Function<Tensor, Tensor> naive = t -> ConvTranspose.convTransposeForwardNaive(x, w, b, p).out();
    Tensor dout = positive(rng, fast.apply(x).shape());
    ConvTranspose.Cache cache = ConvTranspose.convTransposeForward(x, w, b, p).cache();
    ConvTranspose.Grads g = ConvTranspose.convTransposeBackward(dout, cache);
    ConvTranspose.Grads gn = ConvTranspose.convTransposeBackwardNaive(dout, cache);
    r.add(check("conv_transpose", "dx", fast, x, dout, g.dx()));
    r.add(check("conv_transpose", "dw", fast, w, dout, g.dw()));
    r.add(check("conv_transpose", "db", fast, b, dout, g.db()));
    r.add(check("conv_transpose", "dx (naive)", naive, x, dout, gn.dx()));
    r.add(check("conv_transpose", "dw (naive)", naive, w, dout, gn.dw()));
    r.add(check("conv_transpose", "db (naive)", naive, b, dout, gn.db()));
    return r;
  }

  private static List<GradCheckResult> upsample(String layer, boolean bilinear) {
    List<GradCheckResult> r = new ArrayList<>();
    SplittableRandom rng = new SplittableRandom(bilinear ? 502 : 501);
    for (int s : new int[] {2, 3}) {
      Tensor x = positive(rng, 2, 2, 3, 4);
      Function<Tensor, Tensor> f =
          t ->
              bilinear
                  ? Upsample.upsampleBilinearForward(x, s).out()
                  : Upsample.upsampleNearestForward(x, s).out();
      Tensor dout = positive(rng, f.apply(x).shape());
      Tensor dx =
          bilinear
              ? Upsample.upsampleBilinearBackward(
                      dout, Upsample.upsampleBilinearForward(x, s).cache())
                  .dx()
              : Upsample.upsampleNearestBackward(
                      dout, Upsample.upsampleNearestForward(x, s).cache())
                  .dx();
      r.add(check(layer, "dx (scale " + s + ")", f, x, dout, dx));
    }
    return r;
  }

  /** Seed of the ReLU sandwich inputs: its pre-activations stay > 1e-3 away from the kink. */
  static final long SANDWICH_SEED = 601;

  /** The sandwich inputs x (2, 3, 6, 6), w (4, 3, 3, 3), b (4,), conv stride 1 pad 1. */
  static Tensor[] sandwichInputs() {
    SplittableRandom rng = new SplittableRandom(SANDWICH_SEED);
    return new Tensor[] {randn(rng, 2, 3, 6, 6), randn(rng, 4, 3, 3, 3), randn(rng, 4)};
  }

  private static List<GradCheckResult> convRelu() {
    Tensor[] in = sandwichInputs();
    ConvParam p = new ConvParam(1, 1);
    Function<Tensor, Tensor> f = t -> ConvRelu.convReluForward(in[0], in[1], in[2], p).out();
    Tensor dout = randn(new SplittableRandom(602), f.apply(in[0]).shape());
    Conv.Grads g =
        ConvRelu.convReluBackward(dout, ConvRelu.convReluForward(in[0], in[1], in[2], p).cache());
    return List.of(
        check("conv_relu", "dx", f, in[0], dout, g.dx()),
        check("conv_relu", "dw", f, in[1], dout, g.dw()),
        check("conv_relu", "db", f, in[2], dout, g.db()));
  }

  private static List<GradCheckResult> convReluPool() {
    Tensor[] in = sandwichInputs();
    ConvParam p = new ConvParam(1, 1);
    PoolParam q = PoolParam.twoByTwo();
    Function<Tensor, Tensor> f =
        t -> ConvReluPool.convReluPoolForward(in[0], in[1], in[2], p, q).out();
    Tensor dout = randn(new SplittableRandom(603), f.apply(in[0]).shape());
    Conv.Grads g =
        ConvReluPool.convReluPoolBackward(
            dout, ConvReluPool.convReluPoolForward(in[0], in[1], in[2], p, q).cache());
    return List.of(
        check("conv_relu_pool", "dx", f, in[0], dout, g.dx()),
        check("conv_relu_pool", "dw", f, in[1], dout, g.dw()),
        check("conv_relu_pool", "db", f, in[2], dout, g.db()));
  }

  // --------------------------------------------------------------------------- helpers

  /**
   * Compares an analytic gradient with the numerical one of {@code f} at {@code at} (the tensor
   * whose storage f reads, perturbed in place), contracted with dout.
   */
  private static GradCheckResult check(
      String layer,
      String input,
      Function<Tensor, Tensor> f,
      Tensor at,
      Tensor dout,
      Tensor analytic) {
    Tensor numeric = GradCheck.evalNumericalGradientArray(f, at, dout, GradCheck.DEFAULT_H);
    return new GradCheckResult(layer, input, GradCheck.relError(numeric, analytic), TOLERANCE);
  }

  /** Standard normal float64 tensor of the given shape. */
  static Tensor randn(SplittableRandom rng, int... shape) {
    Tensor t = Tensor.zeros(org.handgrad.tensor.DType.FLOAT64, shape);
    double[] d = t.doubleStorage();
    for (int i = 0; i < d.length; i++) {
      d[i] = gaussian(rng);
    }
    return t;
  }

  /** Box-Muller (SplittableRandom has no nextGaussian on Java 17). */
  private static double gaussian(SplittableRandom rng) {
    double u = 1.0 - rng.nextDouble();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.nextDouble());
  }

  /** Uniform float64 values in [0.5, 1.5): positive, so sums of products never cancel. */
  static Tensor positive(SplittableRandom rng, int... shape) {
    Tensor t = Tensor.zeros(org.handgrad.tensor.DType.FLOAT64, shape);
    double[] d = t.doubleStorage();
    for (int i = 0; i < d.length; i++) {
      d[i] = 0.5 + rng.nextDouble();
    }
    return t;
  }

  /** A shuffled grid of distinct values 0.05 apart, centred on 0: max pooling without ties. */
  static Tensor distinct(SplittableRandom rng, int... shape) {
    Tensor t = Tensor.zeros(org.handgrad.tensor.DType.FLOAT64, shape);
    double[] d = t.doubleStorage();
    for (int i = 0; i < d.length; i++) {
      d[i] = 0.05 * (i - d.length / 2);
    }
    for (int i = d.length - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      double tmp = d[i];
      d[i] = d[j];
      d[j] = tmp;
    }
    return t;
  }
}
