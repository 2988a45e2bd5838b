package org.handgrad.nn.checks;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;
import org.handgrad.nn.GradCheck;
import org.handgrad.nn.GradCheckResult;
import org.handgrad.nn.functional.BatchNorm;
import org.handgrad.nn.functional.BatchNormParam;
import org.handgrad.nn.functional.BatchNormParam.Mode;
import org.handgrad.nn.functional.GroupNorm;
import org.handgrad.nn.functional.LayerNorm;
import org.handgrad.nn.functional.SpatialBatchNorm;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * Float64 gradient checks of the normalization layers: every input and parameter (dx, dgamma,
 * dbeta) of batchnorm (graph backward), batchnorm_alt (closed form), layernorm, spatial_batchnorm
 * and groupnorm, against centered differences; the {@code _test} variants check the BatchNorm
 * layers in TEST mode (running statistics, constants for the backward pass).
 *
 * <p>Normalization has no kinks, but two traps: each numerical evaluation in TRAIN mode must use a
 * fresh {@link BatchNormParam} (the forward updates running statistics in place, harmless here but
 * it would couple evaluations), and inputs get a non-zero mean and a scale well away from 1 so that
 * a backward pass forgetting the mean or variance path cannot pass by accident.
 *
 * <p>Near-zero gradient elements are the one kink-like trap: the CS231n relative error of an
 * element around 1e-4 measures the centered difference's ~1e-9 absolute round-off, not the backward
 * pass. The seeds below are chosen so that every analytic gradient element is at least ~1e-3 in
 * magnitude (spatial_batchnorm's first seed, 233, had |dx| = 9e-5 at one element).
 */
public final class NormChecks {
  private NormChecks() {}

  private static final double TOL = 1e-7;
  private static final double H = GradCheck.DEFAULT_H;

  /** The normalization checks by layer name. */
  public static Map<String, Supplier<List<GradCheckResult>>> checks() {
    Map<String, Supplier<List<GradCheckResult>>> checks = new LinkedHashMap<>();
    checks.put("batchnorm", () -> batchnorm("batchnorm", Mode.TRAIN, BatchNorm::batchnormBackward));
    checks.put(
        "batchnorm_alt",
        () -> batchnorm("batchnorm_alt", Mode.TRAIN, BatchNorm::batchnormBackwardAlt));
    checks.put(
        "batchnorm_test",
        () -> batchnorm("batchnorm_test", Mode.TEST, BatchNorm::batchnormBackward));
    checks.put(
        "batchnorm_alt_test",
        () -> batchnorm("batchnorm_alt_test", Mode.TEST, BatchNorm::batchnormBackwardAlt));
    checks.put("layernorm", NormChecks::layernorm);
    checks.put("spatial_batchnorm", () -> spatialBatchnorm("spatial_batchnorm", Mode.TRAIN));
    checks.put(
        "spatial_batchnorm_test", () -> spatialBatchnorm("spatial_batchnorm_test", Mode.TEST));
    checks.put("groupnorm", NormChecks::groupnorm);
    return checks;
  }

  /** TRAIN mode normalises with batch statistics; TEST mode with fixed unrelated ones. */
  private static List<GradCheckResult> batchnorm(
      String layer, Mode mode, BiFunction<Tensor, BatchNorm.Cache, BatchNorm.Grads> backward) {
    SplittableRandom rng = new SplittableRandom(231);
    int n = 4;
    int d = 5;
    Tensor x = randn(rng, 4.0, 3.0, n, d);
    Tensor gamma = randn(rng, 1.0, 1.0, d);
    Tensor beta = randn(rng, 1.0, 0.0, d);
    Tensor dout = randn(rng, 1.0, 0.0, n, d);
    Tensor runMean = randn(rng, 1.0, 2.0, d);
    Tensor runVar = randn(rng, 1.0, 0.0, d);
    for (int j = 0; j < d; j++) {
      runVar.setFlat(j, 1 + runVar.getFlat(j) * runVar.getFlat(j));
    }
    Supplier<BatchNormParam> param = () -> param(d, mode, runMean, runVar);
    BatchNorm.Grads g =
        backward.apply(dout, BatchNorm.batchnormForward(x, gamma, beta, param.get()).cache());
    return List.of(
        check(
            layer,
            "dx",
            g.dx(),
            t -> BatchNorm.batchnormForward(t, gamma, beta, param.get()).out(),
            x,
            dout),
        check(
            layer,
            "dgamma",
            g.dgamma(),
            t -> BatchNorm.batchnormForward(x, t, beta, param.get()).out(),
            gamma,
            dout),
        check(
            layer,
            "dbeta",
            g.dbeta(),
            t -> BatchNorm.batchnormForward(x, gamma, t, param.get()).out(),
            beta,
            dout));
  }

  /** A fresh parameter per evaluation; TEST mode gets the given statistics. */
  private static BatchNormParam param(int d, Mode mode, Tensor runMean, Tensor runVar) {
    BatchNormParam p = BatchNormParam.create(DType.FLOAT64, d).withMode(mode);
    if (mode == Mode.TEST) {
      p.loadStatistics(runMean, runVar);
    }
    return p;
  }

  private static List<GradCheckResult> layernorm() {
    SplittableRandom rng = new SplittableRandom(232);
    int n = 4;
    int d = 6;
    Tensor x = randn(rng, 3.0, -2.0, n, d);
    Tensor gamma = randn(rng, 1.0, 1.0, d);
    Tensor beta = randn(rng, 1.0, 0.0, d);
    Tensor dout = randn(rng, 1.0, 0.0, n, d);
    double eps = LayerNorm.DEFAULT_EPS;
    LayerNorm.Grads g =
        LayerNorm.layernormBackward(dout, LayerNorm.layernormForward(x, gamma, beta, eps).cache());
    return List.of(
        check(
            "layernorm",
            "dx",
            g.dx(),
            t -> LayerNorm.layernormForward(t, gamma, beta, eps).out(),
            x,
            dout),
        check(
            "layernorm",
            "dgamma",
            g.dgamma(),
            t -> LayerNorm.layernormForward(x, t, beta, eps).out(),
            gamma,
            dout),
        check(
            "layernorm",
            "dbeta",
            g.dbeta(),
            t -> LayerNorm.layernormForward(x, gamma, t, eps).out(),
            beta,
            dout));
  }

  private static List<GradCheckResult> spatialBatchnorm(String layer, Mode mode) {
    SplittableRandom rng = new SplittableRandom(235);
    int n = 2;
    int c = 3;
    Tensor x = randn(rng, 2.0, 5.0, n, c, 3, 4);
    Tensor gamma = randn(rng, 1.0, 1.0, c);
    Tensor beta = randn(rng, 1.0, 0.0, c);
    Tensor dout = randn(rng, 1.0, 0.0, n, c, 3, 4);
    Tensor runMean = randn(rng, 1.0, 4.0, c);
    Tensor runVar = Tensor.of(new double[] {2.0, 0.5, 3.0}, c);
    Supplier<BatchNormParam> param = () -> param(c, mode, runMean, runVar);
    SpatialBatchNorm.Grads g =
        SpatialBatchNorm.spatialBatchnormBackward(
            dout, SpatialBatchNorm.spatialBatchnormForward(x, gamma, beta, param.get()).cache());
    return List.of(
        check(
            layer,
            "dx",
            g.dx(),
            t -> SpatialBatchNorm.spatialBatchnormForward(t, gamma, beta, param.get()).out(),
            x,
            dout),
        check(
            layer,
            "dgamma",
            g.dgamma(),
            t -> SpatialBatchNorm.spatialBatchnormForward(x, t, beta, param.get()).out(),
            gamma,
            dout),
        check(
            layer,
            "dbeta",
            g.dbeta(),
            t -> SpatialBatchNorm.spatialBatchnormForward(x, gamma, t, param.get()).out(),
            beta,
            dout));
  }

  private static List<GradCheckResult> groupnorm() {
    SplittableRandom rng = new SplittableRandom(234);
    int n = 2;
    int c = 6;
    int groups = 2;
    Tensor x = randn(rng, 2.0, -3.0, n, c, 3, 2);
    Tensor gamma = randn(rng, 1.0, 1.0, c);
    Tensor beta = randn(rng, 1.0, 0.0, c);
    Tensor dout = randn(rng, 1.0, 0.0, n, c, 3, 2);
    double eps = GroupNorm.DEFAULT_EPS;
    GroupNorm.Grads g =
        GroupNorm.spatialGroupnormBackward(
            dout, GroupNorm.spatialGroupnormForward(x, gamma, beta, groups, eps).cache());
    return List.of(
        check(
            "groupnorm",
            "dx",
            g.dx(),
            t -> GroupNorm.spatialGroupnormForward(t, gamma, beta, groups, eps).out(),
            x,
            dout),
        check(
            "groupnorm",
            "dgamma",
            g.dgamma(),
            t -> GroupNorm.spatialGroupnormForward(x, t, beta, groups, eps).out(),
            gamma,
            dout),
        check(
            "groupnorm",
            "dbeta",
            g.dbeta(),
            t -> GroupNorm.spatialGroupnormForward(x, gamma, t, groups, eps).out(),
            beta,
            dout));
  }

  private static GradCheckResult check(
      String layer,
      String input,
      Tensor analytic,
      Function<Tensor, Tensor> f,
      Tensor point,
      Tensor dout) {
    Tensor numeric = GradCheck.evalNumericalGradientArray(f, point, dout, H);
    return new GradCheckResult(layer, input, GradCheck.relError(numeric, analytic), TOL);
  }

  /** Seeded float64 normal values {@code scale * z + shift}. */
  private static Tensor randn(SplittableRandom rng, double scale, double shift, int... shape) {
    Tensor t = Tensor.zeros(DType.FLOAT64, shape);
    for (int i = 0; i < t.size(); i++) {
      t.setFlat(i, scale * rng.nextGaussian() + shift);
    }
    return t;
  }
}
