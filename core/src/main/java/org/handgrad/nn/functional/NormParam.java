package org.handgrad.nn.functional;

import java.util.Map;
import java.util.Objects;
import org.handgrad.nn.functional.BatchNormParam.Mode;
import org.handgrad.tensor.DType;

/**
 * The settings of every normalization pair in one record, CS231n's {@code bn_param} / {@code
 * ln_param} / {@code gn_param} dict without the running buffers: keys {@code mode}, {@code eps},
 * {@code momentum}, each with CS231n's default, changed with {@code with...}:
 *
 * <pre>{@code
 * NormParam p = NormParam.defaults().withEps(1e-3);              // {'mode': 'train', 'eps': 1e-3}
 * BatchNormParam bn = BatchNormParam.create(DType.FLOAT64, D, p);  // + running_mean, running_var
 * BatchNorm.batchnormForward(x, gamma, beta, bn);
 * LayerNorm.layernormForward(x, gamma, beta, p);
 * GroupNorm.spatialGroupnormForward(x, gamma, beta, G, p);
 * }</pre>
 *
 * <p>As in CS231n, one dict serves every layer and each reads the keys it needs: batch
 * normalization (and its spatial form) reads all three; layer and group normalization read only
 * {@code eps} (they behave the same in train and test and keep no running statistics), so a network
 * can hand the same settings to whichever norm it uses. Batch normalization also needs its running
 * buffers, so it takes a {@link BatchNormParam}, made from these settings with {@link
 * BatchNormParam#create(DType, int, NormParam)}; {@link BatchNormParam#settings()} gives them back.
 *
 * @param mode TRAIN or TEST (CS231n's {@code 'train'} / {@code 'test'}; default TRAIN)
 * @param eps added to the variance under the square root, finite and &gt; 0 (default 1e-5)
 * @param momentum weight of the OLD running value, in [0, 1] (CS231n's convention, default 0.9 =
 *     PyTorch's momentum 0.1; see docs/conventions.md, "Normalization")
 */
public record NormParam(Mode mode, double eps, double momentum) {
  /** Validates the settings. */
  public NormParam {
    Objects.requireNonNull(mode, "mode");
    if (!(eps > 0) || Double.isInfinite(eps)) {
      throw new IllegalArgumentException("NormParam: eps must be finite and > 0, got " + eps);
    }
    if (!(momentum >= 0 && momentum <= 1)) {
      throw new IllegalArgumentException(
          "NormParam: momentum must be in [0, 1] (weight of the old running value), got "
              + momentum);
    }
  }

  /** CS231n's defaults: mode TRAIN, eps 1e-5, momentum 0.9. */
  public static NormParam defaults() {
    return new NormParam(Mode.TRAIN, BatchNormParam.DEFAULT_EPS, BatchNormParam.DEFAULT_MOMENTUM);
  }

  /**
   * Settings from a CS231n-style dict: keys {@code mode} ("train" or "test"), {@code eps}, {@code
   * momentum}; missing keys keep the defaults. Other keys are refused (CS231n's {@code
   * running_mean} / {@code running_var} live in {@link BatchNormParam}).
   *
   * @throws IllegalArgumentException naming an unknown key or an invalid value
   */
  public static NormParam of(Map<String, ?> param) {
    NormParam p = defaults();
    for (Map.Entry<String, ?> e : param.entrySet()) {
      Object v = e.getValue();
      switch (e.getKey()) {
        case "mode" -> p = p.withMode(parseMode(v));
        case "eps" -> p = p.withEps(number("eps", v));
        case "momentum" -> p = p.withMomentum(number("momentum", v));
        default ->
            throw new IllegalArgumentException(
                "NormParam: unknown key '"
                    + e.getKey()
                    + "'; known: mode, eps, momentum (running statistics live in BatchNormParam)");
      }
    }
    return p;
  }

  /** The same settings in another mode. */
  public NormParam withMode(Mode newMode) {
    return new NormParam(newMode, eps, momentum);
  }

  /** The same settings with another eps. */
  public NormParam withEps(double newEps) {
    return new NormParam(mode, newEps, momentum);
  }

  /** The same settings with another momentum. */
  public NormParam withMomentum(double newMomentum) {
    return new NormParam(mode, eps, newMomentum);
  }

  private static Mode parseMode(Object v) {
    if ("train".equals(v) || v == Mode.TRAIN) {
      return Mode.TRAIN;
    }
    if ("test".equals(v) || v == Mode.TEST) {
      return Mode.TEST;
    }
    throw new IllegalArgumentException("NormParam: mode must be \"train\" or \"test\", got " + v);
  }

  private static double number(String key, Object v) {
    if (!(v instanceof Number n)) {
      throw new IllegalArgumentException("NormParam: " + key + " must be a number, got " + v);
    }
    return n.doubleValue();
  }
}
