package org.handgrad.models.diffusion;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.handgrad.nn.Parameter;
import org.handgrad.tensor.Tensor;

/**
 * An exponential moving average of a model's weights, the weights DDPM samples with (Ho et al.
 * 2020, appendix B: decay 0.9999; Nichol and Dhariwal 2021 likewise): after every optimizer step,
 *
 * <pre>
 *   shadow = decay * shadow + (1 - decay) * w
 * </pre>
 *
 * <p>The average forgets with a time constant of about 1 / (1 - decay) steps (1000 at 0.999), so a
 * short run wants a smaller decay than the papers' 0.9999. No bias correction or warm-up: the
 * shadow starts as a copy of the initial weights, as in Ho et al.'s code. The update is computed in
 * double and rounded once to the weights' dtype.
 *
 * <p>(The speedrun recipe wants an EMA too; when both land, one class in {@code optim} should serve
 * both.)
 */
public final class Ema {
  private final double decay;
  private final Map<String, Tensor> shadow = new LinkedHashMap<>();

  /**
   * Starts the average at a copy of the parameters' current values.
   *
   * @param params parameters with distinct names
   * @param decay in [0, 1): 0 follows the weights exactly
   */
  public Ema(List<Parameter> params, double decay) {
    if (!(decay >= 0 && decay < 1)) {
      throw new IllegalArgumentException("ema: decay must be in [0, 1), got " + decay);
    }
    this.decay = decay;
    for (Parameter p : params) {
      if (shadow.put(p.name(), p.value().contiguous().copy()) != null) {
        throw new IllegalArgumentException("ema: parameter name '" + p.name() + "' repeats");
      }
    }
  }

  /** The decay. */
  public double decay() {
    return decay;
  }

  /**
   * One update after an optimizer step.
   *
   * @param params the parameters the average was built from (same names, shapes and dtypes)
   */
  public void update(List<Parameter> params) {
    for (Parameter p : params) {
      Tensor s = shadowOf(p);
      Tensor w = p.value().contiguous();
      int n = p.size();
      int wo = w.offset();
      switch (s.dtype()) {
        case FLOAT32 -> {
          float[] sd = s.floatStorage();
          float[] wd = w.floatStorage();
          for (int i = 0; i < n; i++) {
            sd[i] = (float) (decay * sd[i] + (1 - decay) * wd[wo + i]);
          }
        }
        case FLOAT64 -> {
          double[] sd = s.doubleStorage();
          double[] wd = w.doubleStorage();
          for (int i = 0; i < n; i++) {
            sd[i] = decay * sd[i] + (1 - decay) * wd[wo + i];
          }
        }
        case INT32 -> throw new AssertionError("int32 parameter");
      }
    }
  }

  /** The averaged weights by parameter name (live tensors; do not modify). */
  public Map<String, Tensor> shadow() {
    return Collections.unmodifiableMap(shadow);
  }

  /**
   * Replaces the average with saved values (resuming a run).
   *
   * @param saved one tensor per parameter name, each of the parameter's shape and dtype
   * @throws IllegalArgumentException on a missing, extra or mismatched entry
   */
  public void load(Map<String, Tensor> saved) {
    if (!saved.keySet().equals(shadow.keySet())) {
      throw new IllegalArgumentException(
          "ema: saved names " + saved.keySet() + " differ from " + shadow.keySet());
    }
    for (Map.Entry<String, Tensor> e : saved.entrySet()) {
      Tensor s = shadow.get(e.getKey());
      if (!s.sameShape(e.getValue()) || s.dtype() != e.getValue().dtype()) {
        throw new IllegalArgumentException(
            "ema: '"
                + e.getKey()
                + "' saved as "
                + e.getValue().dtype()
                + " "
                + e.getValue().shapeString()
                + ", expected "
                + s.dtype()
                + " "
                + s.shapeString());
      }
      s.copyFrom(e.getValue());
    }
  }

  /** Copies the averaged weights into the parameters (to sample or save with them). */
  public void copyTo(List<Parameter> params) {
    for (Parameter p : params) {
      p.assign(shadowOf(p));
    }
  }

  private Tensor shadowOf(Parameter p) {
    Tensor s = shadow.get(p.name());
    if (s == null) {
      throw new IllegalArgumentException("ema: no average for parameter '" + p.name() + "'");
    }
    p.checkLike("ema", "average", s);
    return s;
  }
}
