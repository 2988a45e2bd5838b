package org.handgrad.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ctrl-C for real: a {@code train} process gets SIGTERM (which, like SIGINT, runs the JVM's
 * shutdown hooks) mid-run, stops after its current iteration with a checkpoint, and the run resumes
 * from it.
 */
class TrainInterruptTest {
  @TempDir Path tmp;

  @Test
  void aSignalStopsTrainingWithACheckpointThatResumes() throws Exception {
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
            "500",
            "--num-test",
            "20",
            "--epochs",
            "1000",
            "--batch-size",
            "10",
            "--run-dir",
            runs.toString());
    Process p = new ProcessBuilder(cmd).redirectError(tmp.resolve("stderr.txt").toFile()).start();
    StringBuilder out = new StringBuilder();
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) {
        out.append(line).append('\n');
        if (line.startsWith("after 1 iteration")) {
          // SIGTERM; Process.destroy() would also close the streams this loop still reads.
          p.toHandle().destroy();
        }
      }
    }
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the process ends");
    String err = Files.readString(tmp.resolve("stderr.txt"));
    String all = out + "--- err\n" + err;
    assertTrue(
        err.contains("interrupted: stopping after this iteration, saving a checkpoint"), all);
    Matcher m =
        Pattern.compile(
                "stopped at iteration (\\d+) \\(epoch (\\d+)\\) on interrupt; checkpoint: (\\S+)")
            .matcher(out);
    assertTrue(m.find(), all);
    // The signal lands after the first iteration, but on a loaded machine the process may run on
    // for a while before the shutdown hook sets the flag, so any epoch is fine here.
    Path checkpoint = Path.of(m.group(3));
    int stoppedEpoch = Integer.parseInt(m.group(2));
    assertTrue(Files.isRegularFile(checkpoint), all);
    assertTrue(checkpoint.getFileName().toString().endsWith("_step_" + m.group(1) + ".json"), all);

    // Resume it for the rest of that epoch and one more, in-process.
    Path run;
    try (Stream<Path> s = Files.list(runs)) {
      run = s.findFirst().orElseThrow();
    }
    CliRun resumed =
        CliRun.run(
            tmp.resolve("home"),
            "train",
            "--resume",
            run.toString(),
            "--epochs",
            Integer.toString(stoppedEpoch + 2));
    assertEquals(0, resumed.code(), resumed.all());
    assertTrue(resumed.out().contains("resuming at iteration " + m.group(1)), resumed.all());
    assertTrue(resumed.out().contains("test accuracy: "), resumed.all());
  }
}
