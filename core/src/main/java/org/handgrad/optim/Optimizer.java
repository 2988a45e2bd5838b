package org.handgrad.optim;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.handgrad.nn.Parameter;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * Applies an {@link UpdateRule} to a list of parameters, keeping one {@link ParamState} per
 * parameter, keyed by parameter name (CS231n's Solver keeps one config dict per parameter).
 *
 * <p>State is created on a parameter's first step. The learning rate can change between steps
 * (schedules, CS231n's per-epoch {@code lr_decay}); everything else about the rule is fixed. For
 * checkpoints, {@link #stateDict()} and {@link #loadStateDict} move the whole state through a flat
 * {@code Map<String, Tensor>} (e.g. into safetensors), so a resumed run continues bit-for-bit.
 *
 * <pre>{@code
 * Optimizer opt = new Optimizer(new Adam());
 * for (...) {
 *   params.forEach(Parameter::zeroGrad);
 *   model.backward(...);          // accumulates into each Parameter's grad
 *   opt.step(params);
 * }
 * }</pre>
 */
public final class Optimizer {
  /** Key of the learning rate in {@link #stateDict()}, a 0-d float64 tensor. */
  public static final String LEARNING_RATE_KEY = "learning_rate";

  private UpdateRule rule;
  private final Map<String, ParamState> states = new LinkedHashMap<>();

  /** An optimizer with no state yet. */
  public Optimizer(UpdateRule rule) {
    this.rule = rule;
  }

  /** The rule with the current learning rate. */
  public UpdateRule rule() {
    return rule;
  }

  /** The current learning rate. */
  public double learningRate() {
    return rule.learningRate();
  }

  /**
   * Sets the learning rate for the next steps; the state is kept.
   *
   * @throws IllegalArgumentException when not finite and &gt; 0
   */
  public void setLearningRate(double learningRate) {
    rule = rule.withLearningRate(learningRate);
  }

  /**
   * Updates every parameter in place from its gradient, in list order, at the learning rate times
   * the parameter's {@link Parameter#lrMultiplier()}; frozen parameters ({@link
   * Parameter#requiresGrad()} false) are skipped. Gradients are not cleared.
   *
   * @param params parameters with distinct names; each keeps its state across calls by name
   * @throws IllegalArgumentException on a repeated name, or a parameter whose shape or dtype
   *     differs from the state kept under its name
   */
  public void step(List<Parameter> params) {
    checkDistinct(params);
    for (Parameter p : params) {
      if (!p.requiresGrad()) {
        continue; // frozen: no update, no state (momentum or weight decay would still move it)
      }
      ParamState s = states.computeIfAbsent(p.name(), k -> rule.newState(p.value()));
      UpdateRule r =
          p.lrMultiplier() == 1.0
              ? rule
              : rule.withLearningRate(rule.learningRate() * p.lrMultiplier());
      try {
        r.update(p.value(), p.grad(), s);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("parameter " + p.name() + ": " + e.getMessage(), e);
      }
    }
  }

  /** The state kept for a parameter name, or null before its first step. */
  public ParamState state(String parameterName) {
    return states.get(parameterName);
  }

  /**
   * A copy of the whole state: {@code "<param>.<key>"} for each parameter's state tensors (keys as
   * in {@link ParamState#export()}: {@code velocity}, {@code cache}, {@code m}, {@code v}, {@code
   * t}) and {@value #LEARNING_RATE_KEY}.
   */
  public Map<String, Tensor> stateDict() {
    Map<String, Tensor> out = new LinkedHashMap<>();
    out.put(LEARNING_RATE_KEY, Tensor.scalar(DType.FLOAT64, rule.learningRate()));
    for (Map.Entry<String, ParamState> e : states.entrySet()) {
      for (Map.Entry<String, Tensor> s : e.getValue().export().entrySet()) {
        out.put(e.getKey() + "." + s.getKey(), s.getValue());
      }
    }
    return out;
  }

  /**
   * Replaces the state with a saved {@link #stateDict()} (values are copied). A parameter with no
   * saved entries starts fresh on its next step, as one never stepped; partial entries are an
   * error.
   *
   * @param saved a state dict written by an optimizer with the same kind of rule
   * @param params the parameters the state belongs to (shapes and dtypes are checked)
   * @throws IllegalArgumentException on missing, extra or mismatched entries; the optimizer is
   *     unchanged then
   */
  public void loadStateDict(Map<String, Tensor> saved, List<Parameter> params) {
    checkDistinct(params);
    Set<String> unused = new HashSet<>(saved.keySet());
    Tensor lr = saved.get(LEARNING_RATE_KEY);
    if (lr == null || lr.size() != 1 || !lr.dtype().isFloating()) {
      throw new IllegalArgumentException(
          "loadStateDict: expected a scalar '" + LEARNING_RATE_KEY + "', got " + lr);
    }
    unused.remove(LEARNING_RATE_KEY);
    UpdateRule loadedRule = rule.withLearningRate(lr.item());
    Map<String, ParamState> loaded = new LinkedHashMap<>();
    for (Parameter p : params) {
      ParamState fresh = loadedRule.newState(p.value());
      Map<String, Tensor> mine = new LinkedHashMap<>();
      for (String key : fresh.export().keySet()) {
        Tensor t = saved.get(p.name() + "." + key);
        if (t != null) {
          mine.put(key, t);
          unused.remove(p.name() + "." + key);
        }
      }
      if (mine.isEmpty() && !fresh.export().isEmpty()) {
        continue; // never stepped when saved
      }
      fresh.restore(mine, "loadStateDict: " + loadedRule.name() + " state of " + p.name());
      loaded.put(p.name(), fresh);
    }
    if (!unused.isEmpty()) {
      List<String> sorted = new ArrayList<>(unused);
      sorted.sort(null);
      throw new IllegalArgumentException(
          "loadStateDict: entries for no given parameter or not "
              + loadedRule.name()
              + " state: "
              + sorted);
    }
    rule = loadedRule;
    states.clear();
    states.putAll(loaded);
  }

  private static void checkDistinct(List<Parameter> params) {
    Set<String> seen = new HashSet<>();
    for (Parameter p : params) {
      if (!seen.add(p.name())) {
        throw new IllegalArgumentException(
            "optimizer: parameter name " + p.name() + " appears twice; names key the state");
      }
    }
  }
}
