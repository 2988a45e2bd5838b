package org.handgrad.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.handgrad.io.Json;
import org.handgrad.optim.Checkpoint;
import org.handgrad.tensor.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code train --spark}: the ordinary run folder, checkpoints and resume, on {@code local[2]}. */
class SparkTrainTest {
  @TempDir Path tmp;

  private static final List<String> TINY_CNN =
      List.of(
          "--model",
          "cnn",
          "--set",
          "num_filters=8",
          "--set",
          "hidden_dim=32",
          "--data",
          "shapes",
          "--num-train",
          "200",
          "--num-val",
          "50",
          "--num-test",
          "50",
          "--batch-size",
          "50",
          "--optimizer",
          "sgd_momentum",
          "--lr",
          "1e-2");

  record Run(int code, String out, String err) {
    String all() {
      return out + err;
    }
  }

  private Run train(List<String> options, String... extra) {
    List<String> args = new ArrayList<>(List.of("train"));
    args.addAll(options);
    args.addAll(List.of(extra));
    CommandLine cl = SparkMain.commandLine(Spark.using(TestSpark.get("local[2]")));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args.toArray(String[]::new));
    return new Run(code, out.toString(), err.toString());
  }

  private static Path only(Path dir, String prefix) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      List<Path> l = s.filter(p -> p.getFileName().toString().startsWith(prefix)).toList();
      assertEquals(1, l.size(), l.toString());
      return l.get(0);
    }
  }

  private static Checkpoint latest(Path run) throws IOException {
    return Checkpoint.read(Checkpoint.latest(run.resolve("checkpoints"), "cnn").orElseThrow());
  }

  @Test
  void aDataParallelRunWritesTheUsualRunFolderAndResumesExactly() throws IOException {
    Path runs = tmp.resolve("runs");
    Run whole =
        train(
            TINY_CNN,
            "--epochs",
            "2",
            "--spark",
            "--workers",
            "2",
            "--run-dir",
            runs.toString(),
            "--name",
            "whole");
    assertEquals(0, whole.code(), whole.all());
    assertTrue(whole.out().contains("data-parallel: 2 workers on local[2]"), whole.all());
    assertTrue(whole.out().contains("ms per gradient step"), whole.all());
    Path w = only(runs, "whole-");
    for (String f : List.of("config.json", "metrics.jsonl", "result.json", "loss.png")) {
      assertTrue(Files.isRegularFile(w.resolve(f)), f);
    }

    // One epoch, then --resume with --spark up to two: the same parameters bit for bit.
    Run first =
        train(
            TINY_CNN,
            "--epochs",
            "1",
            "--spark",
            "--workers",
            "2",
            "--run-dir",
            runs.toString(),
            "--name",
            "split");
    assertEquals(0, first.code(), first.all());
    Path s = only(runs, "split-");
    Run resumed =
        train(List.of(), "--resume", s.toString(), "--epochs", "2", "--spark", "--workers", "2");
    assertEquals(0, resumed.code(), resumed.all());
    Checkpoint a = latest(w);
    Checkpoint b = latest(s);
    assertEquals(a.iteration(), b.iteration());
    for (String name : a.parameters().keySet()) {
      double[] x = a.parameters().get(name).to(DType.FLOAT64).toDoubleArray();
      double[] y = b.parameters().get(name).to(DType.FLOAT64).toDoubleArray();
      org.junit.jupiter.api.Assertions.assertArrayEquals(x, y, 0.0, name);
    }
    Map<?, ?> ra = (Map<?, ?>) Json.parse(Files.readString(w.resolve("result.json")));
    Map<?, ?> rb = (Map<?, ?>) Json.parse(Files.readString(s.resolve("result.json")));
    assertEquals(ra.get("test_acc"), rb.get("test_acc"));
    assertEquals(ra.get("best_val_acc"), rb.get("best_val_acc"));
  }

  @Test
  void usageErrors() {
    Run noSpark =
        train(
            TINY_CNN, "--epochs", "1", "--workers", "2", "--run-dir", tmp.resolve("r").toString());
    assertEquals(2, noSpark.code(), noSpark.all());
    assertTrue(noSpark.err().contains("--workers and --master need --spark"), noSpark.all());
  }

  /** A model with every kind of buffer trains data-parallel and says how its buffers are kept. */
  @Test
  void batchNormDropoutAndAugmentationRunDataParallel() {
    Run bn =
        train(
            List.of(
                "--model",
                "bn-cnn",
                "--set",
                "widths=4,8",
                "--set",
                "hidden_dim=16",
                "--dropout",
                "0.8",
                "--augment",
                "--data",
                "shapes",
                "--num-train",
                "100",
                "--num-val",
                "20",
                "--num-test",
                "20",
                "--epochs",
                "1",
                "--spark",
                "--workers",
                "2",
                "--run-dir",
                tmp.resolve("bn").toString()));
    assertEquals(0, bn.code(), bn.all());
    assertTrue(
        bn.out().contains("statistics buffers (each shard normalizes by its own batch statistics"),
        bn.all());
    assertTrue(
        bn.out().contains("random streams [dropout.rng_state, augment.rng_state] split per shard"),
        bn.all());
    assertTrue(bn.out().contains("test accuracy"), bn.all());
  }
}
