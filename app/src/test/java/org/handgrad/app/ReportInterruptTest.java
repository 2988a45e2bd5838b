package org.handgrad.app;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ctrl-C while the final report is written (issue 14): the signal arrives as soon as result.json
 * exists (the report writes it first, then the plots); the report still finishes, says so, and
 * every plot is there.
 */
class ReportInterruptTest {
  @TempDir Path tmp;

  @Test
  void aSignalDuringTheFinalReportLetsItFinish() throws Exception {
    String java = ProcessHandle.current().info().command().orElse("java");
    Path runs = tmp.resolve("runs");
    List<String> cmd =
        List.of(
            java,
            "--add-modules",
            "jdk.incubator.vector",
            "-cp",
            System.getProperty("java.class.path"),
            "org.handgrad.app.Main",
            "train",
            "--model",
            "softmax",
            "--data",
            "shapes",
            "--num-train",
            "200",
            "--num-test",
            "20",
            "--epochs",
            "1",
            "--run-dir",
            runs.toString());
    Path out = tmp.resolve("out.txt");
    Path err = tmp.resolve("err.txt");
    Process p =
        new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    Path result = null;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (p.isAlive() && result == null && System.nanoTime() < deadline) {
      if (Files.isDirectory(runs)) {
        try (Stream<Path> s = Files.list(runs)) {
          result =
              s.map(r -> r.resolve("result.json")).filter(Files::exists).findFirst().orElse(null);
        }
      }
    }
    assertTrue(result != null && p.isAlive(), "the report was under way: " + Files.readString(out));
    p.toHandle().destroy(); // SIGTERM, handled as Ctrl-C
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the process ends");
    String all = Files.readString(out) + "--- err\n" + Files.readString(err);
    assertTrue(
        all.contains(
            "interrupted while writing the final report: training is complete,"
                + " finishing the report first"),
        all);
    assertTrue(all.contains("test accuracy: "), all);
    assertTrue(all.contains("plots: loss.png, accuracy.png, weights.png, confusion.png"), all);
    Path run = result.getParent();
    for (String f : List.of("loss.png", "accuracy.png", "weights.png", "confusion.png")) {
      assertTrue(Files.size(run.resolve(f)) > 0, f + "\n" + all);
    }
  }
}
