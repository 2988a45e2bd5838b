package org.handgrad.optim;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Update rules and schedules as plain maps: CS231n's {@code (update_rule, optim_config)} pair in,
 * and JSON-ready maps out (for checkpoints, run configs and the command line).
 *
 * <p>Keys are CS231n's {@code optim_config} keys: {@code learning_rate} (all rules), {@code
 * momentum} (sgd_momentum, nesterov), {@code decay_rate} and {@code epsilon} (rmsprop), {@code
 * beta1}, {@code beta2}, {@code epsilon} (adam, adamw) and {@code weight_decay} (adamw). Keys left
 * out keep the rule's CS231n defaults. Schedules use {@code type} plus snake_case fields.
 */
public final class OptimConfig {
  private OptimConfig() {}

  /**
   * The rule named {@code updateRule} with CS231n defaults overridden by {@code optimConfig}, as
   * CS231n's {@code Solver(update_rule=..., optim_config={...})} builds it.
   *
   * @param updateRule sgd, sgd_momentum, nesterov, rmsprop, adam or adamw
   * @param optimConfig hyperparameters by CS231n key; may be empty
   * @throws IllegalArgumentException on an unknown rule, a key the rule does not have (naming the
   *     keys it has) or an invalid value
   */
  public static UpdateRule rule(String updateRule, Map<String, ? extends Number> optimConfig) {
    UpdateRule defaults = UpdateRule.byName(updateRule);
    Map<String, Object> merged = new LinkedHashMap<>(config(defaults));
    for (Map.Entry<String, ? extends Number> e : optimConfig.entrySet()) {
      if (!merged.containsKey(e.getKey())) {
        throw new IllegalArgumentException(
            updateRule
                + ": unknown optim_config key '"
                + e.getKey()
                + "'; "
                + updateRule
                + " has "
                + merged.keySet());
      }
      merged.put(e.getKey(), e.getValue());
    }
    double lr = num(merged, "learning_rate");
    return switch (updateRule) {
      case "sgd" -> new Sgd(lr);
      case "sgd_momentum" -> new SgdMomentum(lr, num(merged, "momentum"));
      case "nesterov" -> new Nesterov(lr, num(merged, "momentum"));
      case "rmsprop" -> new RmsProp(lr, num(merged, "decay_rate"), num(merged, "epsilon"));
      case "adam" ->
          new Adam(lr, num(merged, "beta1"), num(merged, "beta2"), num(merged, "epsilon"));
      case "adamw" ->
          new AdamW(
              lr,
              num(merged, "beta1"),
              num(merged, "beta2"),
              num(merged, "epsilon"),
              num(merged, "weight_decay"));
      default -> throw new AssertionError(updateRule);
    };
  }

  /** A rule's hyperparameters by CS231n key, in a fixed order (learning_rate first). */
  public static Map<String, Object> config(UpdateRule rule) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("learning_rate", rule.learningRate());
    if (rule instanceof SgdMomentum r) {
      m.put("momentum", r.momentum());
    } else if (rule instanceof Nesterov r) {
      m.put("momentum", r.momentum());
    } else if (rule instanceof RmsProp r) {
      m.put("decay_rate", r.decayRate());
      m.put("epsilon", r.epsilon());
    } else if (rule instanceof Adam r) {
      m.put("beta1", r.beta1());
      m.put("beta2", r.beta2());
      m.put("epsilon", r.epsilon());
    } else if (rule instanceof AdamW r) {
      m.put("beta1", r.beta1());
      m.put("beta2", r.beta2());
      m.put("epsilon", r.epsilon());
      m.put("weight_decay", r.weightDecay());
    }
    return m;
  }

  /** {@code {"update_rule": name, "optim_config": {...}}}, the inverse of {@link #rule(Map)}. */
  public static Map<String, Object> toMap(UpdateRule rule) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("update_rule", rule.name());
    m.put("optim_config", config(rule));
    return m;
  }

  /**
   * Reads a map written by {@link #toMap(UpdateRule)}.
   *
   * @throws IllegalArgumentException when keys are missing or values invalid
   */
  public static UpdateRule rule(Map<?, ?> map) {
    Object name = map.get("update_rule");
    if (!(name instanceof String s) || !(map.get("optim_config") instanceof Map<?, ?> cfg)) {
      throw new IllegalArgumentException(
          "optimizer config: expected {\"update_rule\": ..., \"optim_config\": {...}}, got " + map);
    }
    Map<String, Number> numbers = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : cfg.entrySet()) {
      if (!(e.getValue() instanceof Number n)) {
        throw new IllegalArgumentException(
            "optimizer config: " + e.getKey() + " is not a number: " + e.getValue());
      }
      numbers.put((String) e.getKey(), n);
    }
    return rule(s, numbers);
  }

  /**
   * A schedule as a map: {@code type} (constant, step, exponential, cosine, warmup, onecycle) and
   * its fields in snake_case; a warm-up nests the schedule that follows under {@code after}.
   */
  public static Map<String, Object> toMap(LrSchedule schedule) {
    Map<String, Object> m = new LinkedHashMap<>();
    if (schedule instanceof LrSchedule.Constant s) {
      m.put("type", "constant");
      m.put("lr", s.lr());
    } else if (schedule instanceof LrSchedule.StepDecay s) {
      m.put("type", "step");
      m.put("base_lr", s.baseLr());
      m.put("step_size", s.stepSize());
      m.put("gamma", s.gamma());
    } else if (schedule instanceof LrSchedule.Exponential s) {
      m.put("type", "exponential");
      m.put("base_lr", s.baseLr());
      m.put("gamma", s.gamma());
    } else if (schedule instanceof LrSchedule.Cosine s) {
      m.put("type", "cosine");
      m.put("base_lr", s.baseLr());
      m.put("min_lr", s.minLr());
      m.put("period", s.period());
    } else if (schedule instanceof LrSchedule.WarmUp s) {
      m.put("type", "warmup");
      m.put("steps", s.steps());
      m.put("start_factor", s.startFactor());
      m.put("after", toMap(s.after()));
    } else if (schedule instanceof LrSchedule.OneCycle s) {
      m.put("type", "onecycle");
      m.put("max_lr", s.maxLr());
      m.put("total_steps", s.totalSteps());
      m.put("pct_start", s.pctStart());
      m.put("div_factor", s.divFactor());
      m.put("final_div_factor", s.finalDivFactor());
      m.put("cosine", s.cosine());
    }
    return m;
  }

  /**
   * Reads a map written by {@link #toMap(LrSchedule)}.
   *
   * @throws IllegalArgumentException on an unknown type, missing or extra fields, invalid values
   */
  public static LrSchedule schedule(Map<?, ?> map) {
    Object type = map.get("type");
    if (!(type instanceof String t)) {
      throw new IllegalArgumentException("schedule: missing \"type\" in " + map);
    }
    return switch (t) {
      case "constant" -> {
        fields(map, "constant", "lr");
        yield new LrSchedule.Constant(num(map, "lr"));
      }
      case "step" -> {
        fields(map, "step", "base_lr", "step_size", "gamma");
        yield new LrSchedule.StepDecay(
            num(map, "base_lr"), integer(map, "step_size"), num(map, "gamma"));
      }
      case "exponential" -> {
        fields(map, "exponential", "base_lr", "gamma");
        yield new LrSchedule.Exponential(num(map, "base_lr"), num(map, "gamma"));
      }
      case "cosine" -> {
        fields(map, "cosine", "base_lr", "min_lr", "period");
        yield new LrSchedule.Cosine(
            num(map, "base_lr"), num(map, "min_lr"), integer(map, "period"));
      }
      case "warmup" -> {
        fields(map, "warmup", "steps", "start_factor", "after");
        if (!(map.get("after") instanceof Map<?, ?> after)) {
          throw new IllegalArgumentException("schedule warmup: \"after\" must be a schedule");
        }
        yield new LrSchedule.WarmUp(
            integer(map, "steps"), num(map, "start_factor"), schedule(after));
      }
      case "onecycle" -> {
        fields(
            map,
            "onecycle",
            "max_lr",
            "total_steps",
            "pct_start",
            "div_factor",
            "final_div_factor",
            "cosine");
        if (!(map.get("cosine") instanceof Boolean cosine)) {
          throw new IllegalArgumentException("schedule onecycle: \"cosine\" must be a boolean");
        }
        yield new LrSchedule.OneCycle(
            num(map, "max_lr"),
            integer(map, "total_steps"),
            num(map, "pct_start"),
            num(map, "div_factor"),
            num(map, "final_div_factor"),
            cosine);
      }
      default ->
          throw new IllegalArgumentException(
              "schedule: unknown type '"
                  + t
                  + "'; known: constant, step, exponential, cosine,"
                  + " warmup, onecycle");
    };
  }

  private static void fields(Map<?, ?> map, String type, String... names) {
    Set<Object> expected = new HashSet<>(List.of((Object[]) names));
    expected.add("type");
    if (!map.keySet().equals(expected)) {
      throw new IllegalArgumentException(
          "schedule " + type + ": expected fields " + List.of(names) + ", got " + map.keySet());
    }
  }

  private static double num(Map<?, ?> map, String key) {
    if (!(map.get(key) instanceof Number n)) {
      throw new IllegalArgumentException("'" + key + "' must be a number, got " + map.get(key));
    }
    return n.doubleValue();
  }

  private static int integer(Map<?, ?> map, String key) {
    double v = num(map, key);
    if (v != Math.rint(v) || Math.abs(v) > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("'" + key + "' must be an integer, got " + v);
    }
    return (int) v;
  }
}
