package org.handgrad.optim;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.handgrad.nn.Model;
import org.handgrad.nn.Parameter;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * An exponential moving average of a model's weights (Polyak averaging as used by Szegedy et al.
 * 2016, Tan and Le 2019 and the CIFAR-10 speed runs): after every update, {@code ema = d * ema + (1
 * - d) * w} for each parameter w, and the averaged weights are the ones evaluated and kept. The
 * average of the last few hundred steps of SGD sits nearer the bottom of the valley than the last
 * iterate, which still bounces around it at the current learning rate.
 *
 * <p><b>Decay warm-up.</b> With {@code warmup} on, step t (counted from 0) uses {@code d_t =
 * min(decay, (1 + t) / (10 + t))} (TensorFlow's {@code ExponentialMovingAverage} with {@code
 * num_updates}): the first averages forget the random initialization quickly, so a short run is not
 * dominated by it. The first update (t = 0) copies the weights: the average starts there.
 *
 * <p><b>BatchNorm running statistics</b> (float buffers) are averaged with the same decay, as
 * timm's {@code ModelEmaV2} does: the running mean and variance the averaged weights are evaluated
 * with are then the average of statistics that were measured with the recent weights, not the
 * statistics of the last iterate alone. Integer buffers (BatchNorm's {@code num_batches_tracked},
 * random-stream states) are not averaged and are never swapped: they belong to the live run.
 *
 * <pre>{@code
 * Ema ema = new Ema(0.999, true);
 * for (...) { model.loss(x, y); optimizer.step(params); ema.update(model); }
 * try (Ema.Swap s = ema.swapInto(model)) { accuracy = evaluate(model); }  // live weights back after
 * }</pre>
 */
public final class Ema {
  /** Key prefix of the averages in {@link #stateDict()}. */
  public static final String PREFIX = "ema.";

  private static final String UPDATES_KEY = "updates";

  private final double decay;
  private final boolean warmup;
  private final Map<String, Tensor> average = new LinkedHashMap<>();
  private int updates;

  /**
   * @param decay the decay d, in [0, 1): 0.999 averages over about 1 / (1 - d) = 1000 steps
   * @param warmup use {@code min(decay, (1 + t) / (10 + t))} at step t
   */
  public Ema(double decay, boolean warmup) {
    if (!(decay >= 0 && decay < 1)) {
      throw new IllegalArgumentException("Ema: decay must be in [0, 1), got " + decay);
    }
    this.decay = decay;
    this.warmup = warmup;
  }

  /** The decay d. */
  public double decay() {
    return decay;
  }

  /** Whether the decay warms up. */
  public boolean warmup() {
    return warmup;
  }

  /** Updates done so far. */
  public int updates() {
    return updates;
  }

  /**
   * The decay step t uses.
   *
   * @param t updates done before this one, &gt;= 0
   */
  public double decayAt(int t) {
    if (t < 0) {
      throw new IllegalArgumentException("Ema: step must be >= 0, got " + t);
    }
    return warmup ? Math.min(decay, (1.0 + t) / (10.0 + t)) : decay;
  }

  /**
   * Folds the model's current parameters and float buffers into the average (the first call copies
   * them).
   *
   * @throws IllegalArgumentException when the model's parameters or buffers are not those of the
   *     first call
   */
  public void update(Model model) {
    Map<String, Tensor> now = averaged(model);
    if (updates == 0 && average.isEmpty()) {
      now.forEach((k, v) -> average.put(k, v.copy()));
      updates = 1;
      return;
    }
    checkSameNames("update", now);
    double d = decayAt(updates);
    for (Map.Entry<String, Tensor> e : now.entrySet()) {
      blend(average.get(e.getKey()), e.getValue(), d);
    }
    updates++;
  }

  /** {@code avg = d * avg + (1 - d) * w}, element by element (float32 rounded once per element). */
  private static void blend(Tensor avg, Tensor w, double d) {
    Tensor src = w.contiguous();
    int n = avg.size();
    int off = src.offset();
    if (avg.dtype() == DType.FLOAT32) {
      float[] a = avg.floatStorage();
      float[] s = src.floatStorage();
      for (int i = 0; i < n; i++) {
        a[i] = (float) (d * a[i] + (1 - d) * s[off + i]);
      }
    } else {
      double[] a = avg.doubleStorage();
      double[] s = src.doubleStorage();
      for (int i = 0; i < n; i++) {
        a[i] = d * a[i] + (1 - d) * s[off + i];
      }
    }
  }

  /**
   * The averages by name: parameter names, and buffer names for the float buffers (read-only view;
   * empty before the first update).
   */
  public Map<String, Tensor> averages() {
    return Collections.unmodifiableMap(average);
  }

  /**
   * Puts the averaged weights into the model until the returned handle is closed, which puts the
   * live weights back (bit for bit).
   *
   * @throws IllegalStateException before the first update
   */
  public Swap swapInto(Model model) {
    if (average.isEmpty()) {
      throw new IllegalStateException("Ema: swapInto before the first update");
    }
    Map<String, Tensor> live = averaged(model);
    checkSameNames("swapInto", live);
    Map<String, Tensor> saved = new LinkedHashMap<>();
    live.forEach((k, v) -> saved.put(k, v.copy()));
    live.forEach((k, v) -> v.copyFrom(average.get(k)));
    return new Swap(live, saved);
  }

  /** A swap of weights to undo with {@link #close()}. */
  public static final class Swap implements AutoCloseable {
    private final Map<String, Tensor> live;
    private final Map<String, Tensor> saved;
    private boolean closed;

    private Swap(Map<String, Tensor> live, Map<String, Tensor> saved) {
      this.live = live;
      this.saved = saved;
    }

    /** Puts the live weights back (once; later calls do nothing). */
    @Override
    public void close() {
      if (!closed) {
        live.forEach((k, v) -> v.copyFrom(saved.get(k)));
        closed = true;
      }
    }
  }

  /**
   * The state for a checkpoint: each average under {@value #PREFIX}{@code name}, and the update
   * count under {@value #PREFIX}{@code updates} (int32 scalar).
   */
  public Map<String, Tensor> stateDict() {
    Map<String, Tensor> m = new LinkedHashMap<>();
    average.forEach((k, v) -> m.put(PREFIX + k, v.copy()));
    m.put(PREFIX + UPDATES_KEY, Tensor.scalar(DType.INT32, updates));
    return m;
  }

  /**
   * Replaces the state with a saved {@link #stateDict()}; entries without the {@value #PREFIX}
   * prefix are ignored (so a checkpoint's optimizer state may hold both).
   *
   * @throws IllegalArgumentException when the update count is missing, or the averages do not match
   *     the model's names, shapes and dtypes
   */
  public void loadStateDict(Map<String, Tensor> saved, Model model) {
    Tensor n = saved.get(PREFIX + UPDATES_KEY);
    if (n == null || n.size() != 1) {
      throw new IllegalArgumentException("Ema: no '" + PREFIX + UPDATES_KEY + "' in the state");
    }
    Map<String, Tensor> now = averaged(model);
    Map<String, Tensor> loaded = new LinkedHashMap<>();
    for (Map.Entry<String, Tensor> e : saved.entrySet()) {
      String k = e.getKey();
      if (k.startsWith(PREFIX) && !k.equals(PREFIX + UPDATES_KEY)) {
        loaded.put(k.substring(PREFIX.length()), e.getValue());
      }
    }
    int count = (int) n.getFlat(0);
    if (count > 0 && !loaded.keySet().equals(now.keySet())) {
      throw new IllegalArgumentException(
          "Ema: the saved averages are of " + loaded.keySet() + ", the model has " + now.keySet());
    }
    average.clear();
    for (Map.Entry<String, Tensor> e : loaded.entrySet()) {
      Tensor mine = now.get(e.getKey());
      Tensor v = e.getValue();
      if (!mine.sameShape(v) || mine.dtype() != v.dtype()) {
        throw new IllegalArgumentException(
            "Ema: average of "
                + e.getKey()
                + " is "
                + v.shapeString()
                + " "
                + v.dtype().numpyName()
                + ", the model's "
                + mine.shapeString()
                + " "
                + mine.dtype().numpyName());
      }
      average.put(e.getKey(), v.contiguous().copy());
    }
    updates = count;
  }

  /** The live tensors that are averaged: every parameter, then every float buffer. */
  private static Map<String, Tensor> averaged(Model model) {
    Map<String, Tensor> m = new LinkedHashMap<>();
    List<Parameter> params = model.parameters();
    for (Parameter p : params) {
      m.put(p.name(), p.value());
    }
    for (Map.Entry<String, Tensor> e : model.buffers().entrySet()) {
      DType t = e.getValue().dtype();
      if (t == DType.FLOAT32 || t == DType.FLOAT64) {
        if (m.containsKey(e.getKey())) {
          throw new IllegalArgumentException(
              "Ema: buffer " + e.getKey() + " has the name of a parameter");
        }
        m.put(e.getKey(), e.getValue());
      }
    }
    return m;
  }

  private void checkSameNames(String op, Map<String, Tensor> now) {
    if (!now.keySet().equals(average.keySet())) {
      throw new IllegalArgumentException(
          "Ema: "
              + op
              + " with a model whose parameters and float buffers are "
              + now.keySet()
              + ", the average holds "
              + average.keySet());
    }
  }
}
