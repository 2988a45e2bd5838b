package org.handgrad.app;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import org.handgrad.models.InputGradientChecks;
import org.handgrad.models.ModelChecks;
import org.handgrad.nn.GradCheckResult;
import org.handgrad.nn.GradCheckSuite;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code ./handgrad gradcheck [layer...]}: runs the float64 gradient checks of {@link
 * GradCheckSuite} (layers) and {@link ModelChecks} (whole models, names {@code model_*}), {@link
 * InputGradientChecks} (input gradients, {@code input_*}) and prints them as the CS231n notebooks
 * do, one row per checked gradient.
 */
@Command(
    name = "gradcheck",
    description = {
      "Compares every hand-derived gradient with a centered-difference numerical gradient at"
          + " float64 (h = 1e-5) and prints the CS231n relative error"
          + " max|a - n| / max(1e-8, |a| + |n|).",
      "With no LAYER, checks every registered layer."
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:every checked gradient is within tolerance",
      "1:a gradient failed (or a check threw)",
      "2:unknown layer or bad usage"
    })
public final class GradCheckCommand implements Callable<Integer> {
  /** Exit status when a gradient fails its check. */
  static final int FAILED = 1;

  /** Exit status for an unknown layer (picocli's usage-error status). */
  static final int USAGE = 2;

  @Spec CommandSpec spec;

  @Parameters(
      paramLabel = "LAYER",
      arity = "0..*",
      description = "Layers to check, e.g. affine relu softmax_loss (see --list).")
  List<String> layers = new ArrayList<>();

  @Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "Show this help message and exit.")
  boolean help;

  @Option(
      names = {"-l", "--list"},
      description = "List the known layers and exit.")
  boolean list;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Map<String, Supplier<List<GradCheckResult>>> checks = allChecks();
    if (list) {
      checks.keySet().forEach(out::println);
      out.flush();
      return 0;
    }
    for (String name : layers) {
      if (!checks.containsKey(name)) {
        err.println(
            "gradcheck: unknown layer '"
                + name
                + "'; known layers: "
                + String.join(", ", checks.keySet()));
        err.flush();
        return USAGE;
      }
    }
    List<String> names = layers.isEmpty() ? List.copyOf(checks.keySet()) : layers;
    int width = Math.max("layer".length(), names.stream().mapToInt(String::length).max().orElse(0));
    out.println(header(width));
    int passed = 0;
    int failed = 0;
    long start = System.nanoTime();
    for (String name : names) {
      List<GradCheckResult> rows;
      try {
        rows = checks.get(name).get();
      } catch (RuntimeException e) {
        out.flush();
        err.println("gradcheck: the " + name + " check threw " + e);
        err.flush();
        failed++;
        continue;
      }
      for (GradCheckResult r : rows) {
        out.println(row(r, width));
        if (r.passed()) {
          passed++;
        } else {
          failed++;
        }
      }
      out.flush();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    out.println(summary(names.size(), passed, failed, seconds));
    out.flush();
    return failed == 0 ? 0 : FAILED;
  }

  /**
   * The layer checks of {@link GradCheckSuite} followed by the whole-model checks of {@link
   * ModelChecks} and the input-gradient checks of {@link InputGradientChecks} (kept apart in core
   * because nn must not depend on models).
   */
  static Map<String, Supplier<List<GradCheckResult>>> allChecks() {
    Map<String, Supplier<List<GradCheckResult>>> checks = new LinkedHashMap<>(GradCheckSuite.all());
    checks.putAll(ModelChecks.checks());
    checks.putAll(InputGradientChecks.checks());
    return checks;
  }

  /** Width of the gradient column: fits module paths such as "d13.weight" or "dhead.0.bias". */
  static final int GRADIENT_WIDTH = 14;

  /** The table header for a layer column of the given width. */
  static String header(int layerWidth) {
    return String.format(
        Locale.ROOT,
        "%-" + layerWidth + "s  %-" + GRADIENT_WIDTH + "s  %-9s  %-9s  %s",
        "layer",
        "gradient",
        "rel error",
        "tolerance",
        "result");
  }

  /**
   * One table row: layer, gradient, relative error and tolerance in scientific notation, verdict.
   */
  static String row(GradCheckResult r, int layerWidth) {
    return String.format(
        Locale.ROOT,
        "%-" + layerWidth + "s  %-" + GRADIENT_WIDTH + "s  %-9s  %-9s  %s",
        r.layer(),
        r.input(),
        sci(r.relError()),
        sci(r.tolerance()),
        r.passed() ? "PASS" : "FAIL");
  }

  /** The closing line: how many gradients passed and failed. */
  static String summary(int layers, int passed, int failed, double seconds) {
    return String.format(
        Locale.ROOT,
        "%d gradients in %d layers: %d passed, %d failed (%.1f s)%s",
        passed + failed,
        layers,
        passed,
        failed,
        seconds,
        failed == 0 ? "" : "  FAILED");
  }

  private static String sci(double v) {
    return Double.isNaN(v) ? "nan" : String.format(Locale.ROOT, "%.2e", v);
  }
}
