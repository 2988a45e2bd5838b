package org.handgrad.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.handgrad.app.Main;
import org.handgrad.io.Json;
import org.handgrad.kernels.Parallel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code sweep} on embedded Spark {@code local[2]}, against {@code train} run one by one. */
class SweepCommandTest {
  @TempDir Path tmp;

  private static final List<String> SHARED =
      List.of(
          "--model",
          "softmax",
          "--data",
          "shapes",
          "--num-train",
          "300",
          "--num-val",
          "100",
          "--num-test",
          "100",
          "--epochs",
          "2",
          "--batch-size",
          "50");

  record Run(int code, String out, String err) {
    String all() {
      return out + err;
    }
  }

  private static Run cli(CommandLine cl, List<String> args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args.toArray(String[]::new));
    return new Run(code, out.toString(), err.toString());
  }

  private Run sweep(String... extra) {
    List<String> args = new ArrayList<>(List.of("sweep"));
    args.addAll(SHARED);
    args.addAll(List.of("--sweep-dir", tmp.resolve("sweeps").toString()));
    args.addAll(List.of(extra));
    return cli(SparkMain.commandLine(Spark.using(TestSpark.get("local[2]"))), args);
  }

  private static Map<?, ?> json(Path file) throws IOException {
    return (Map<?, ?>) Json.parse(Files.readString(file));
  }

  /** summary.json's results by run name. */
  private static Map<String, Map<?, ?>> results(Path sweep) throws IOException {
    Map<String, Map<?, ?>> out = new HashMap<>();
    for (Object o : (List<?>) json(sweep.resolve("summary.json")).get("results")) {
      Map<?, ?> r = (Map<?, ?>) o;
      out.put(String.format("cfg-%03d", ((Number) r.get("index")).intValue()), r);
    }
    return out;
  }

  @Test
  void aSweepEqualsTrainingTheConfigurationsOneByOne() throws IOException {
    SweepTask.clearDataCache();
    Run r = sweep("--grid", "lr=1e-3,3e-3", "--grid", "reg=0,1e-2");
    assertEquals(0, r.code(), r.all());
    Path folder = tmp.resolve("sweeps/softmax-shapes");
    for (String f :
        List.of("sweep.json", "summary.json", "results.txt", "heatmap.png", "report.html")) {
      assertTrue(Files.isRegularFile(folder.resolve(f)), f + "\n" + r.all());
    }
    String page = Files.readString(folder.resolve("report.html"));
    assertTrue(page.contains("(summary.json)") && page.contains("<figcaption>heatmap.png"), page);
    assertTrue(r.out().contains("4 finished, 0 failed"), r.all());
    // The dataset was generated once for the four configurations (one executor: this JVM).
    assertEquals(1, SweepTask.datasetLoads());
    Map<String, Map<?, ?>> results = results(folder);
    List<?> sorted = (List<?>) json(folder.resolve("summary.json")).get("results");
    double previous = Double.POSITIVE_INFINITY;
    for (Object o : sorted) {
      double acc = ((Number) ((Map<?, ?>) o).get("best_val_acc")).doubleValue();
      assertTrue(acc <= previous, "sorted by validation accuracy");
      previous = acc;
    }

    // One by one, as a user would, with two kernel threads instead of the sweep's one.
    Parallel.setThreads(2);
    String[][] grid = {{"1e-3", "0"}, {"1e-3", "1e-2"}, {"3e-3", "0"}, {"3e-3", "1e-2"}};
    for (int i = 0; i < grid.length; i++) {
      List<String> args = new ArrayList<>(List.of("train"));
      args.addAll(SHARED);
      args.addAll(
          List.of(
              "--seed",
              "0",
              "--lr",
              grid[i][0],
              "--reg",
              grid[i][1],
              "--run-dir",
              tmp.resolve("one-by-one").toString(),
              "--name",
              "run" + i));
      Run t = cli(Main.commandLine(), args);
      assertEquals(0, t.code(), t.all());
      Path run;
      try (var s = Files.list(tmp.resolve("one-by-one"))) {
        final int k = i;
        run =
            s.filter(p -> p.getFileName().toString().startsWith("run" + k + "-"))
                .findFirst()
                .orElseThrow();
      }
      Map<?, ?> alone = json(run.resolve("result.json"));
      Map<?, ?> swept = results.get(String.format("cfg-%03d", i));
      assertEquals(
          Map.of("lr", grid[i][0], "reg", grid[i][1]), swept.get("values"), swept.toString());
      // The same accuracies to the last digit.
      assertEquals(alone.get("best_val_acc"), swept.get("best_val_acc"));
      assertEquals(alone.get("test_acc"), swept.get("test_acc"));
    }
  }

  @Test
  void aFailingConfigurationIsReportedAndTheOthersFinishThenARestartSkipsFinishedWork()
      throws IOException {
    Run r = sweep("--grid", "lr=1e-3,1e38,3e-3");
    assertEquals(1, r.code(), r.all());
    assertTrue(r.out().contains("2 finished, 1 failed"), r.all());
    assertTrue(r.out().contains("cfg-001 (lr=1e38) failed: exit code 3"), r.all());
    Path folder = tmp.resolve("sweeps/softmax-shapes");
    Map<String, Map<?, ?>> first = results(folder);
    assertEquals("failed", first.get("cfg-001").get("status"));
    assertTrue(((String) first.get("cfg-001").get("error")).contains("diverged"), r.all());
    assertNull(first.get("cfg-001").get("best_val_acc"));
    assertEquals("ok", first.get("cfg-000").get("status"));
    assertEquals("ok", first.get("cfg-002").get("status"));

    // cfg-002 was "interrupted" after its last checkpoint: no result.json. The restart skips
    // cfg-000, resumes cfg-002 from its checkpoint and retries cfg-001 (which fails again).
    Path cfg2 = Path.of((String) first.get("cfg-002").get("run_folder"));
    Files.delete(cfg2.resolve("result.json"));
    Run again = sweep("--grid", "lr=1e-3,1e38,3e-3");
    assertEquals(1, again.code(), again.all());
    assertTrue(again.out().contains("(1 finished earlier, 2 to run)"), again.all());
    Map<String, Map<?, ?>> second = results(folder);
    assertEquals("done-earlier", second.get("cfg-000").get("status"));
    assertEquals(
        first.get("cfg-000").get("best_val_acc"), second.get("cfg-000").get("best_val_acc"));
    assertEquals("ok", second.get("cfg-002").get("status"));
    assertEquals(cfg2.toString(), second.get("cfg-002").get("run_folder"));
    assertEquals(first.get("cfg-002").get("test_acc"), second.get("cfg-002").get("test_acc"));
    assertEquals("failed", second.get("cfg-001").get("status"));

    // A third run has nothing left but the failure.
    Run third = sweep("--grid", "lr=1e-3,1e38,3e-3");
    assertTrue(third.out().contains("(2 finished earlier, 1 to run)"), third.all());
  }

  @Test
  void aDifferentSweepInTheSameFolderIsRefused() {
    assertEquals(0, sweep("--grid", "lr=1e-3").code());
    Run r = sweep("--grid", "lr=3e-3");
    assertEquals(2, r.code(), r.all());
    assertTrue(r.err().contains("holds a different sweep"), r.all());
  }

  @Test
  void typosInTrainOptionsFailBeforeAnyTraining() {
    Run r = sweep("--grid", "lr=1e-3", "--epoch", "3");
    assertEquals(2, r.code(), r.all());
    assertTrue(r.err().contains("Unknown options: '--epoch'"), r.all());
    assertNotNull(r.err());
  }
}
