package org.handgrad.spark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.handgrad.io.Json;

/** The driver side of a sweep: what finished earlier, the Spark job, the table and heat map. */
final class Sweeps {
  private Sweeps() {}

  /**
   * The result of a configuration that an earlier run of the sweep finished (its run folder has a
   * {@code result.json} with accuracies; a diverged run's has none), or null.
   */
  static SweepResult finishedEarlier(Path runs, SweepConfig c) throws IOException {
    for (Path folder : SweepTask.runFolders(runs, c)) {
      Path result = folder.resolve("result.json");
      if (Files.isRegularFile(result)) {
        Map<?, ?> r = (Map<?, ?>) Json.parse(Files.readString(result));
        // A diverged run records its diagnosis in result.json too, without accuracies: not done.
        if (!(r.get("best_val_acc") instanceof Number) || !(r.get("test_acc") instanceof Number)) {
          continue;
        }
        return new SweepResult(
            c,
            SweepResult.DONE_EARLIER,
            ((Number) r.get("best_val_acc")).doubleValue(),
            ((Number) r.get("test_acc")).doubleValue(),
            0,
            folder.toString(),
            null,
            null);
      }
    }
    return null;
  }

  /**
   * Trains the configurations, one Spark task (and partition) each; every task returns, failures
   * included.
   */
  static List<SweepResult> run(JavaSparkContext sc, SweepTask task, List<SweepConfig> todo) {
    sc.setJobDescription("handgrad sweep: " + todo.size() + " configurations");
    return sc.parallelize(todo, todo.size()).map(task::run).collect();
  }

  static List<SweepResult> sorted(List<SweepResult> results) {
    List<SweepResult> s = new ArrayList<>(results);
    s.sort(SweepCommand.byValAcc());
    return s;
  }

  /** The results table, one line per configuration, then the errors of the failed ones. */
  static String table(List<SweepResult> sorted) {
    List<String> names =
        sorted.isEmpty() ? List.of() : List.copyOf(sorted.get(0).config().values().keySet());
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "%-4s %-8s", "rank", "config"));
    for (String n : names) {
      sb.append(String.format(Locale.ROOT, " %-10s", n));
    }
    sb.append(
        String.format(
            Locale.ROOT, " %12s %9s %8s  %s%n", "best val acc", "test acc", "seconds", "status"));
    int rank = 0;
    for (SweepResult r : sorted) {
      rank++;
      sb.append(String.format(Locale.ROOT, "%-4d %-8s", rank, r.config().runName()));
      for (String n : names) {
        sb.append(String.format(Locale.ROOT, " %-10s", r.config().values().get(n)));
      }
      sb.append(
          String.format(
              Locale.ROOT,
              " %12s %9s %8.1f  %s%n",
              fmt(r.bestValAcc()),
              fmt(r.testAcc()),
              r.seconds(),
              r.status()));
    }
    for (SweepResult r : sorted) {
      if (!r.finished()) {
        sb.append(r.config().runName())
            .append(" (")
            .append(r.config().label())
            .append(") failed: ")
            .append(r.error())
            .append(System.lineSeparator());
      }
    }
    return sb.toString();
  }

  private static String fmt(double v) {
    return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.4f", v);
  }

  static void heatMap(Grid g, List<SweepResult> results, Path png, String title)
      throws IOException {
    String rowName = g.names().get(0);
    String colName = g.names().get(1);
    List<String> rows = g.values(rowName);
    List<String> cols = g.values(colName);
    double[][] acc = new double[rows.size()][cols.size()];
    for (double[] r : acc) {
      java.util.Arrays.fill(r, Double.NaN);
    }
    for (SweepResult r : results) {
      int i = rows.indexOf(r.config().values().get(rowName));
      int j = cols.indexOf(r.config().values().get(colName));
      if (i >= 0 && j >= 0) {
        acc[i][j] = r.bestValAcc();
      }
    }
    HeatMap.write(rowName, rows, colName, cols, acc, "best validation accuracy, " + title, png);
  }
}
