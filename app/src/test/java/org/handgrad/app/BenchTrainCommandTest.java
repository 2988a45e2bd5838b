package org.handgrad.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bench train} runs and prints its table (timings themselves are not checked). */
class BenchTrainCommandTest {
  @TempDir Path tmp;

  @Test
  void printsImagesPerSecondPerModel() {
    CliRun r =
        CliRun.run(
            tmp,
            "bench",
            "train",
            "--model",
            "softmax",
            "--data",
            "shapes",
            "--runs",
            "3",
            "--warmup",
            "0",
            "--window",
            "0.05");
    assertEquals(0, r.code(), r.all());
    assertTrue(
        r.out().contains("batch 64, adam lr 1e-3, float32, shapes images (3, 32, 32)"), r.all());
    assertTrue(r.out().contains(" kernel thread"), r.all());
    assertTrue(
        r.out()
            .matches(
                "(?s).*\\nsoftmax\\s+\\d+\\s+\\[\\d+ \\.\\. \\d+\\]\\s+\\d+\\.\\d\\d\\s+3 x \\d+\\n.*"),
        r.all());
  }

  @Test
  void profileShowsTheOperationsOfATapeBuiltModel() {
    CliRun r =
        CliRun.run(
            tmp,
            "bench",
            "train",
            "--model",
            "speedrun",
            "--data",
            "shapes",
            "--batch-size",
            "8",
            "--runs",
            "2",
            "--warmup",
            "0",
            "--window",
            "0.05",
            "--profile");
    assertEquals(0, r.code(), r.all());
    assertTrue(r.out().contains("profile: speedrun training step, batch 8, Adam, 2 runs"), r.all());
    // the stem's conv and two per group, per step; each followed by a BatchNorm
    assertTrue(r.out().matches("(?s).*\\nConv2d +7 +[0-9.]+ +[0-9.]+ +[0-9.]+%\\n.*"), r.all());
    assertTrue(r.out().matches("(?s).*\\nBatchNorm2d +7 .*"), r.all());
    assertTrue(r.out().contains("(outside the tape)"), r.all());
  }

  @Test
  void rejectsUnknownAndUntrainableModels() {
    CliRun r = CliRun.run(tmp, "bench", "train", "--model", "knn");
    assertEquals(2, r.code(), r.all());
    assertTrue(r.err().contains("unknown or untrainable model 'knn'"), r.all());
  }
}
