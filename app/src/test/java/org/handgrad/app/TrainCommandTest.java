package org.handgrad.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.handgrad.app.report.MetricsLog;
import org.handgrad.app.train.DataSource;
import org.handgrad.io.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./handgrad train} end to end on tiny data: shapes, a tiny IDX set, the offline path. */
class TrainCommandTest {
  @TempDir Path tmp;

  private CliRun train(String... args) {
    String[] all = new String[args.length + 1];
    all[0] = "train";
    System.arraycopy(args, 0, all, 1, args.length);
    return CliRun.run(tmp.resolve("home"), all);
  }

  private Path runs() {
    return tmp.resolve("runs");
  }

  /** The only run folder under runs/. */
  private Path onlyRun() throws IOException {
    try (Stream<Path> s = Files.list(runs())) {
      List<Path> all = s.toList();
      assertEquals(1, all.size(), all.toString());
      return all.get(0);
    }
  }

  private static Map<?, ?> json(Path file) throws IOException {
    return (Map<?, ?>) Json.parse(Files.readString(file));
  }

  private static List<Path> checkpoints(Path run) throws IOException {
    try (Stream<Path> s = Files.list(run.resolve("checkpoints"))) {
      return s.filter(p -> p.toString().endsWith(".json")).sorted().toList();
    }
  }

  @Test
  void trainWritesTheRunFolderAndReportsTestAccuracy() throws IOException {
    CliRun r =
        train(
            "--model",
            "softmax",
            "--data",
            "shapes",
            "--num-train",
            "200",
            "--num-test",
            "100",
            "--epochs",
            "2",
            "--batch-size",
            "50",
            "--run-dir",
            runs().toString());
    assertEquals(0, r.code(), r.all());
    Path run = onlyRun();
    assertTrue(run.getFileName().toString().startsWith("softmax-shapes-"), run.toString());
    for (String f :
        List.of(
            "config.json",
            "metrics.jsonl",
            "result.json",
            "loss.png",
            "accuracy.png",
            "weights.png",
            "confusion.png")) {
      assertTrue(Files.size(run.resolve(f)) > 0, f);
    }
    // 2 epochs of 4 iterations; checkpoints at iteration 1, 4, 8, of which the newest 2 are kept.
    List<Path> cps = checkpoints(run);
    assertEquals(
        List.of("softmax_epoch_1_step_4.json", "softmax_epoch_2_step_8.json"),
        cps.stream().map(p -> p.getFileName().toString()).toList());
    List<Map<String, Object>> events = MetricsLog.read(run.resolve("metrics.jsonl"));
    List<Object> kinds = events.stream().map(e -> e.get("event")).toList();
    assertEquals("start", kinds.get(0));
    assertEquals(3, kinds.stream().filter("epoch"::equals).count(), kinds.toString());
    assertTrue(kinds.contains("checkpoint") && kinds.contains("finish"), kinds.toString());
    Map<String, Object> test = events.get(events.size() - 1);
    assertEquals("test", test.get("event"));
    assertEquals(100L, test.get("num_test"));
    double acc = ((Number) test.get("test_acc")).doubleValue();
    assertTrue(
        r.out().contains(String.format(java.util.Locale.ROOT, "test accuracy: %.4f", acc)),
        r.all());
    assertEquals(acc, ((Number) json(run.resolve("result.json")).get("test_acc")).doubleValue());
    assertTrue(r.out().contains("epoch  2/2"), r.all());
    assertTrue(r.err().contains("epoch 2/2 100% ["), r.all()); // the progress bar
    Map<?, ?> config = json(run.resolve("config.json"));
    assertEquals("softmax", config.get("model"));
    assertEquals(false, config.get("fell_back"));
    // The full run spec (with the fitted mean image) travels in the checkpoint.
    Map<?, ?> spec = (Map<?, ?>) ((Map<?, ?>) json(cps.get(1)).get("solver")).get("model_config");
    Map<?, ?> pre = (Map<?, ?>) spec.get("preprocessing");
    assertEquals("mean_image", pre.get("kind"));
    assertEquals(3 * 32 * 32, ((List<?>) pre.get("mean")).size());
  }

  @Test
  void resumeContinuesExactlyWhereTheRunStopped() throws IOException {
    // fc with batchnorm, dropout and augmentation: model buffers, the dropout stream and the
    // augmentation stream must all come back for the resumed run to match the uninterrupted one.
    String[] common = {
      "--model",
      "fc",
      "--hidden-dims",
      "16,16",
      "--normalization",
      "batchnorm",
      "--dropout",
      "0.8",
      "--augment",
      "--data",
      "shapes",
      "--num-train",
      "120",
      "--num-test",
      "40",
      "--batch-size",
      "40"
    };
    Path straight = tmp.resolve("straight");
    CliRun a = train(concat(common, "--epochs", "3", "--run-dir", straight.toString()));
    assertEquals(0, a.code(), a.all());

    CliRun b = train(concat(common, "--epochs", "1", "--run-dir", runs().toString()));
    assertEquals(0, b.code(), b.all());
    Path run = onlyRun();
    CliRun c = train("--resume", run.toString(), "--epochs", "3", "--num-test", "40");
    assertEquals(0, c.code(), c.all());
    assertTrue(c.out().contains("resuming at iteration 3"), c.all());

    Path last = Path.of("checkpoints", "fc_epoch_3_step_9.safetensors");
    Path straightRun;
    try (Stream<Path> s = Files.list(straight)) {
      straightRun = s.findFirst().orElseThrow();
    }
    assertArrayEquals(
        Files.readAllBytes(straightRun.resolve(last)),
        Files.readAllBytes(run.resolve(last)),
        "parameters and buffers after 1 + 2 epochs equal those after 3 epochs in one go");
    assertEquals(
        ((Number) json(straightRun.resolve("result.json")).get("test_acc")).doubleValue(),
        ((Number) json(run.resolve("result.json")).get("test_acc")).doubleValue());
    List<Object> kinds =
        MetricsLog.read(run.resolve("metrics.jsonl")).stream().map(e -> e.get("event")).toList();
    assertEquals(2, kinds.stream().filter("start"::equals).count(), "one log, two sessions");
  }

  @Test
  void resumeRefusesSettingsThatTheCheckpointFixes() throws IOException {
    assertEquals(
        0,
        train(
                "--model",
                "softmax",
                "--data",
                "shapes",
                "--num-train",
                "60",
                "--num-test",
                "20",
                "--epochs",
                "1",
                "--run-dir",
                runs().toString())
            .code());
    CliRun r = train("--resume", onlyRun().toString(), "--lr", "0.1", "--model", "svm");
    assertEquals(2, r.code(), r.all());
    assertTrue(r.err().contains("--model, --lr are fixed by the checkpoint"), r.all());
    CliRun missing = train("--resume", tmp.resolve("nowhere").toString());
    assertEquals(1, missing.code(), missing.all());
    assertTrue(missing.err().contains("does not exist"), missing.all());
  }

  @Test
  void convnetOnShapesAndKnnCrossValidation() throws IOException {
    CliRun cnn =
        train(
            "--model",
            "cnn",
            "--set",
            "num_filters=4",
            "--hidden-dims",
            "8",
            "--data",
            "shapes",
            "--num-train",
            "40",
            "--num-test",
            "20",
            "--epochs",
            "1",
            "--batch-size",
            "20",
            "--run-dir",
            runs().resolve("cnn").toString());
    assertEquals(0, cnn.code(), cnn.all());
    assertTrue(cnn.out().contains("preprocessing channel_norm"), cnn.all());

    CliRun knn =
        train(
            "--model",
            "knn",
            "--data",
            "shapes",
            "--num-train",
            "50",
            "--num-test",
            "20",
            "--k-choices",
            "1,3,5",
            "--folds",
            "5",
            "--run-dir",
            runs().resolve("knn").toString());
    assertEquals(0, knn.code(), knn.all());
    assertTrue(
        knn.out().matches("(?s).*best k = [135] .*test accuracy: \\d\\.\\d{4}.*"), knn.all());
    Path run;
    try (Stream<Path> s = Files.list(runs().resolve("knn"))) {
      run = s.findFirst().orElseThrow();
    }
    assertTrue(Files.size(run.resolve("knn_cv.png")) > 0);
    assertTrue(Files.size(run.resolve("confusion.png")) > 0);
    assertEquals(4, MetricsLog.read(run.resolve("metrics.jsonl")).size(), "3 cv lines, 1 test");
  }

  @Test
  void findsATinyIdxDatasetInTheDataFolder() throws IOException {
    Path dir = tmp.resolve("data").resolve("mnist");
    TinyIdx.write(dir, 120, 30, 8);
    CliRun r =
        train(
            "--model",
            "two-layer",
            "--data",
            "mnist",
            "--data-dir",
            tmp.resolve("data").toString(),
            "--epochs",
            "2",
            "--batch-size",
            "25",
            "--run-dir",
            runs().toString());
    assertEquals(0, r.code(), r.all());
    assertTrue(r.out().contains("data: mnist from " + dir), r.all());
    assertTrue(r.out().contains("(1, 8, 8), 108 train / 12 val images"), r.all());
    assertTrue(r.out().contains("30 mnist test images"), r.all());
    assertFalse(r.err().contains(DataSource.FALLBACK_PREFIX), r.all());

    CliRun tooMany =
        train(
            "--model",
            "svm",
            "--data",
            "mnist",
            "--data-dir",
            tmp.resolve("data").toString(),
            "--num-train",
            "500",
            "--run-dir",
            runs().toString());
    assertEquals(2, tooMany.code(), tooMany.all());
    assertTrue(
        tooMany.err().contains("--num-train must be in [1, 108] (mnist has 120 training images,"),
        tooMany.all());
  }

  private static String refusedUrl() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    return "http://127.0.0.1:" + port + "/mnist/";
  }

  @Test
  void offlineFallsBackToShapesLoudly() throws IOException {
    Path empty = tmp.resolve("empty");
    Files.createDirectories(empty);
    CliRun r =
        train(
            "--model",
            "softmax",
            "--data",
            "mnist",
            "--data-dir",
            empty.toString(),
            "--mirror",
            refusedUrl(),
            "--num-train",
            "60",
            "--num-test",
            "20",
            "--epochs",
            "1",
            "--run-dir",
            runs().toString());
    assertEquals(0, r.code(), r.all());
    String e = r.err();
    assertTrue(e.contains("mnist is not available: it is not in " + empty.resolve("mnist")), e);
    assertTrue(e.contains("cannot download mnist (offline?)"), e);
    assertTrue(e.contains("./handgrad data fetch mnist"), e);
    long loud = e.lines().filter(l -> l.contains(DataSource.FALLBACK_PREFIX)).count();
    assertEquals(1, loud, e);
    assertTrue(e.contains("(1x28x28, 10 classes) instead of mnist"), e);
    assertTrue(r.out().contains("shapes (standing in for mnist) (1, 28, 28)"), r.all());
    assertTrue(r.out().contains("NOTE: trained on the synthetic shapes fallback"), r.all());
    assertEquals(true, json(onlyRun().resolve("result.json")).get("fell_back"));

    CliRun strict =
        train(
            "--model",
            "softmax",
            "--data",
            "mnist",
            "--data-dir",
            empty.toString(),
            "--no-fetch",
            "--no-fallback",
            "--run-dir",
            runs().toString());
    assertEquals(1, strict.code(), strict.all());
    assertTrue(strict.err().contains("downloads are off (--no-fetch)"), strict.all());
    assertTrue(strict.err().contains("What to do:"), strict.all());
  }

  @Test
  void badArgumentsGiveClearErrors() {
    String runDir = runs().toString();
    assertError(2, "unknown model 'resnet'; models: knn, svm, softmax", "--model", "resnet");
    assertError(2, "--model is required (or --resume CHECKPOINT)", "--epochs", "1");
    assertError(
        2,
        "unknown dataset 'imagenet'; datasets: fashion-mnist",
        "--model",
        "svm",
        "--data",
        "imagenet");
    assertError(
        2,
        "two-layer has one hidden layer, got 2 sizes",
        "--model",
        "two-layer",
        "--hidden-dims",
        "10,10",
        "--data",
        "shapes",
        "--num-train",
        "20",
        "--num-test",
        "10",
        "--run-dir",
        runDir);
    assertError(
        2,
        "model bn-cnn has no setting [--weight-scale]",
        "--model",
        "bn-cnn",
        "--weight-scale",
        "0.1",
        "--data",
        "shapes",
        "--num-train",
        "20",
        "--num-test",
        "10",
        "--run-dir",
        runDir);
    assertError(
        2,
        "--dtype must be float32 or float64, got 'float16'",
        "--model",
        "svm",
        "--dtype",
        "float16");
    assertError(2, "--batch-size must be >= 1, got 0", "--model", "svm", "--batch-size", "0");
    assertError(
        2,
        "model svm has no setting [--set x]",
        "--model",
        "svm",
        "--data",
        "shapes",
        "--num-train",
        "20",
        "--num-test",
        "10",
        "--run-dir",
        runDir,
        "--set",
        "x=1");
    assertError(
        2,
        "unknown update rule 'adagrad'; known: sgd",
        "--model",
        "svm",
        "--data",
        "shapes",
        "--num-train",
        "20",
        "--num-test",
        "10",
        "--optimizer",
        "adagrad",
        "--run-dir",
        runDir);
    // picocli's own parse errors: exit 2 with the option named.
    assertError(
        2, "error: Unknown options: '--learning-rate'", "--model", "svm", "--learning-rate", "1");
    assertError(2, "see './handgrad train --help'", "--model", "svm", "--learning-rate", "1");
    assertError(2, "Invalid value for option '--epochs'", "--model", "svm", "--epochs", "ten");
  }

  private void assertError(int code, String message, String... args) {
    CliRun r = train(args);
    assertEquals(code, r.code(), r.all());
    assertTrue(r.err().contains(message), "expected '" + message + "' in\n" + r.all());
  }

  @Test
  void divergenceExitsThreeWithTheCauseAndNoStackTrace() throws IOException {
    CliRun r =
        train(
            "--model",
            "two-layer",
            "--data",
            "shapes",
            "--num-train",
            "200",
            "--num-test",
            "10",
            "--epochs",
            "1",
            "--lr",
            "1e30",
            "--run-dir",
            runs().toString());
    assertEquals(TrainCommand.DIVERGED, r.code(), r.all());
    assertTrue(r.err().contains("error: training diverged at iteration 2"), r.all());
    assertTrue(r.err().contains("the learning rate is too high (it is 1.00e+30"), r.all());
    assertFalse(r.err().contains("Exception"), r.all());
    assertFalse(r.err().contains("\tat "), r.all());
    // The run folder records it (issue 14): result.json and a metrics line with the diagnosis.
    Path run = onlyRun();
    Map<?, ?> result = json(run.resolve("result.json"));
    assertEquals("diverged", result.get("event"), result.toString());
    assertEquals(2L, result.get("iteration"));
    assertTrue(result.get("message").toString().contains("learning rate is too high"));
    List<Map<String, Object>> log = MetricsLog.read(run.resolve("metrics.jsonl"));
    assertEquals("diverged", log.get(log.size() - 1).get("event"), log.toString());
  }

  @Test
  void aFiniteDivergenceWarnsOrStops() throws IOException {
    // Adam at lr 1e6: the loss explodes to about 1e8 but stays finite (issue 14).
    String[] args = {
      "--model",
      "softmax",
      "--data",
      "shapes",
      "--num-train",
      "300",
      "--num-test",
      "10",
      "--batch-size",
      "5",
      "--epochs",
      "1",
      "--lr",
      "1e6",
      "--run-dir",
      runs().toString()
    };
    CliRun warned = train(args);
    assertEquals(0, warned.code(), warned.all());
    assertTrue(
        warned.err().contains("warning: training looks diverged at iteration 51"), warned.all());
    assertTrue(warned.out().contains("NOTE: training looked diverged (loss_far_above_initial)"));
    Map<?, ?> result = json(onlyRun().resolve("result.json"));
    assertEquals(1, ((List<?>) result.get("warnings")).size(), result.toString());

    List<String> stop = new ArrayList<>(List.of(args));
    stop.add("--stop-on-divergence");
    CliRun stopped = train(stop.toArray(String[]::new));
    assertEquals(TrainCommand.DIVERGED, stopped.code(), stopped.all());
    assertTrue(
        stopped
            .err()
            .contains(
                "error: training looks diverged at iteration 51 (epoch 0): the loss"
                    + " has stayed above 10x its initial value"),
        stopped.all());
    assertFalse(stopped.err().contains("\tat "), stopped.all());
    try (Stream<Path> s = Files.list(runs())) {
      for (Path run : s.toList()) {
        if (!Files.exists(run.resolve("loss.png"))) {
          continue;
        }
        Map<?, ?> r = json(run.resolve("result.json"));
        if ("diverged".equals(r.get("event"))) {
          assertEquals("loss_far_above_initial", r.get("kind"));
          return;
        }
      }
    }
    throw new AssertionError("no run folder records the stop");
  }

  @Test
  void helpListsTheOptions() {
    CliRun r = train("--help");
    assertEquals(0, r.code());
    for (String o :
        List.of("--model", "--data", "--epochs", "--resume", "--augment", "Exit codes")) {
      assertTrue(r.out().contains(o), o + " in\n" + r.out());
    }
  }

  private static String[] concat(String[] a, String... b) {
    String[] out = new String[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
