package org.handgrad.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.handgrad.app.train.RunSpec;
import org.handgrad.app.train.TrainedModel;
import org.handgrad.io.Json;
import org.handgrad.models.speedrun.SpeedrunNet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./handgrad speedrun} end to end on the built-in shapes, and the recipe's train options
 * (label smoothing, EMA, random erasing, one-cycle) with their errors.
 */
class SpeedrunCommandTest {
  @TempDir Path tmp;

  private CliRun run(String... args) {
    return CliRun.run(tmp.resolve("home"), args);
  }

  @Test
  void twoTinyRunsReportMeanSpreadAndPerEpochTestAccuracy() throws IOException {
    Path out = tmp.resolve("sr");
    CliRun r =
        run(
            "speedrun",
            "--runs",
            "2",
            "--seed",
            "3",
            "--data",
            "shapes",
            "--num-train",
            "256",
            "--num-val",
            "64",
            "--num-test",
            "64",
            "--epochs",
            "2",
            "--set",
            "widths=4,8",
            "--out",
            out.toString());
    assertEquals(0, r.code(), r.all());
    assertTrue(r.out().contains("recipe: ./handgrad train --model speedrun"), r.all());
    assertTrue(r.out().contains("run 1/2  seed 3  test acc "), r.all());
    assertTrue(r.out().contains("  run 1/2  seed 3  epoch 1  test acc "), r.all());
    assertTrue(r.out().contains("run 2/2  seed 4  test acc "), r.all());
    assertTrue(r.out().contains("test accuracy  mean "), r.all());
    assertTrue(r.out().contains("wall time      mean "), r.all());
    Map<?, ?> summary = (Map<?, ?>) Json.parse(Files.readString(out.resolve("speedrun.json")));
    String page = Files.readString(out.resolve("report.html"));
    assertTrue(page.contains("(speedrun.json)") && page.contains("test_acc_mean"), page);
    assertTrue(page.contains("<figcaption>speedrun.png"), page);
    List<?> runs = (List<?>) summary.get("runs");
    assertEquals(2, runs.size());
    for (Object o : runs) {
      Map<?, ?> e = (Map<?, ?>) o;
      List<?> curve = (List<?>) e.get("epoch_test_acc");
      assertEquals(2, curve.size(), "one test accuracy per epoch: " + e);
      double t1 = ((Number) ((List<?>) curve.get(0)).get(0)).doubleValue();
      double t2 = ((Number) ((List<?>) curve.get(1)).get(0)).doubleValue();
      double total = ((Number) e.get("seconds")).doubleValue();
      assertTrue(0 < t1 && t1 < t2 && t2 <= total, e.toString());
      double acc = ((Number) e.get("test_acc")).doubleValue();
      assertTrue(acc >= 0 && acc <= 1, e.toString());
    }
    assertTrue(((Number) summary.get("test_acc_std")).doubleValue() >= 0);
    assertTrue(Files.size(out.resolve("speedrun.png")) > 1000);
    // Each run is an ordinary train run folder whose config records the recipe's ingredients.
    try (Stream<Path> s = Files.list(out.resolve("runs"))) {
      List<Path> folders = s.sorted().toList();
      assertEquals(2, folders.size());
      Map<?, ?> config =
          (Map<?, ?>) Json.parse(Files.readString(folders.get(0).resolve("config.json")));
      Map<?, ?> solver = (Map<?, ?>) config.get("solver");
      assertEquals(0.999, ((Number) solver.get("ema_decay")).doubleValue());
      assertEquals("onecycle", ((Map<?, ?>) solver.get("lr_schedule")).get("type"));
      String checkpoint;
      try (Stream<Path> c = Files.list(folders.get(0).resolve("checkpoints"))) {
        Path json = c.filter(p -> p.toString().endsWith(".json")).findFirst().orElseThrow();
        checkpoint = Files.readString(json);
      }
      assertTrue(checkpoint.replace(" ", "").contains("\"label_smoothing\":0.1"), checkpoint);
      // eval --tta rebuilds the run's network with test-time flips around the same parameters
      Path first = folders.get(0);
      assertFalse(speedrunNet(TrainedModel.load(first, false)).config().tta());
      TrainedModel flipped = TrainedModel.load(first, false, Map.of("tta", "flip"));
      assertTrue(speedrunNet(flipped).config().tta());
      assertEquals(
          speedrunNet(TrainedModel.load(first, false)).parameters().get(0).value().getFlat(0),
          speedrunNet(flipped).parameters().get(0).value().getFlat(0));
      CliRun e = run("eval", "--checkpoint", first.toString(), "--tta", "flip");
      assertEquals(0, e.code(), e.all());
      assertTrue(e.out().contains("test accuracy: "), e.all());
      CliRun bad = run("eval", "--checkpoint", first.toString(), "--tta", "mirror");
      assertEquals(1, bad.code(), bad.all());
      assertTrue(bad.err().contains("tta must be none or flip, got 'mirror'"), bad.all());
    }
  }

  private static SpeedrunNet speedrunNet(TrainedModel m) {
    return (SpeedrunNet) RunSpec.unwrap(m.model());
  }

  @Test
  void badRunCountIsAUsageError() {
    CliRun r = run("speedrun", "--runs", "0");
    assertEquals(2, r.code(), r.all());
    assertTrue(r.err().contains("--runs must be >= 1, got 0"), r.all());
  }

  @Test
  void recipeOptionsOfTrainAreCheckedAndNamed() {
    String[][] cases = {
      {"--ema", "1.0", "--ema must be in (0, 1), e.g. 0.999, got 1.0"},
      {"--label-smoothing", "-0.1", "--label-smoothing must be in [0, 1], e.g. 0.1, got -0.1"},
      {"--random-erasing", "2", "--random-erasing must be a probability in [0, 1], got 2.0"},
      {"--schedule", "linear", "--schedule must be cosine or onecycle, got 'linear'"},
    };
    for (String[] c : cases) {
      CliRun r =
          run(
              "train",
              "--model",
              "speedrun",
              "--data",
              "shapes",
              "--num-train",
              "64",
              "--num-test",
              "16",
              "--epochs",
              "1",
              "--run-dir",
              tmp.resolve("runs").toString(),
              c[0],
              c[1]);
      assertEquals(2, r.code(), r.all());
      assertTrue(r.err().contains(c[2]), r.all());
    }
    CliRun r =
        run(
            "train",
            "--model",
            "bn-cnn",
            "--data",
            "shapes",
            "--num-train",
            "64",
            "--epochs",
            "1",
            "--run-dir",
            tmp.resolve("runs").toString(),
            "--label-smoothing",
            "0.1");
    assertEquals(2, r.code(), r.all());
    assertTrue(r.err().contains("label smoothing needs a model built on the tape"), r.all());
    r =
        run(
            "train",
            "--model",
            "speedrun",
            "--data",
            "shapes",
            "--num-train",
            "64",
            "--epochs",
            "1",
            "--run-dir",
            tmp.resolve("runs").toString(),
            "--schedule",
            "onecycle",
            "--warmup",
            "5");
    assertEquals(2, r.code(), r.all());
    assertTrue(r.err().contains("--warmup does not go with --schedule onecycle"), r.all());
  }
}
