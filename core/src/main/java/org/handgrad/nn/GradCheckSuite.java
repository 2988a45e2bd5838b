package org.handgrad.nn;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The float64 gradient checks of every layer pair, by layer name: what {@code ./handgrad gradcheck}
 * runs and prints, and what each layer's unit test asserts.
 *
 * <p>Each layer family contributes a {@code checks()} map (layer name to a supplier of result rows)
 * registered below; a supplier builds its own small seeded inputs, so runs are reproducible.
 */
public final class GradCheckSuite {
  private GradCheckSuite() {}

  /** Every registered check, by layer name, in registration order. */
  public static Map<String, Supplier<List<GradCheckResult>>> all() {
    Map<String, Supplier<List<GradCheckResult>>> checks = new LinkedHashMap<>();
    // Layer families register here, e.g. checks.putAll(AffineChecks.checks());
    checks.putAll(org.handgrad.nn.checks.DenseChecks.checks());
    checks.putAll(org.handgrad.nn.checks.NormChecks.checks());
    checks.putAll(org.handgrad.nn.checks.ConvChecks.checks());
    checks.putAll(org.handgrad.nn.checks.RnnChecks.checks());
    checks.putAll(org.handgrad.nn.checks.ModuleChecks.checks());
    checks.putAll(org.handgrad.nn.checks.SigmoidCrossEntropyChecks.checks());
    checks.putAll(org.handgrad.nn.checks.AttentionChecks.checks());
    return checks;
  }

  /**
   * Runs the checks of the named layers (all layers when {@code layers} is empty).
   *
   * @throws IllegalArgumentException naming the unknown layer and the known ones
   */
  public static List<GradCheckResult> run(List<String> layers) {
    Map<String, Supplier<List<GradCheckResult>>> checks = all();
    List<String> names = layers.isEmpty() ? new ArrayList<>(checks.keySet()) : layers;
    List<GradCheckResult> results = new ArrayList<>();
    for (String name : names) {
      Supplier<List<GradCheckResult>> check = checks.get(name);
      if (check == null) {
        throw new IllegalArgumentException(
            "gradcheck: unknown layer '" + name + "'; known layers: " + checks.keySet());
      }
      results.addAll(check.get());
    }
    return results;
  }
}
