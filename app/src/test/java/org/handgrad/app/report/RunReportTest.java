package org.handgrad.app.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.handgrad.io.Json;
import org.handgrad.optim.Checkpoint;
import org.handgrad.optim.Solver;
import org.handgrad.optim.SolverOptions;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunReportTest {
  @TempDir Path tmp;

  private static final List<String> CLASSES = List.of("circle", "square", "triangle", "star");

  private static BufferedImage png(Path f) throws IOException {
    assertTrue(Files.exists(f), f + " exists");
    BufferedImage img = ImageIO.read(f.toFile());
    assertNotNull(img, f + " decodes as an image");
    return img;
  }

  /** A full run as the CLI will do it: run folder, config, metrics log, checkpoints, plots. */
  @Test
  void trainedRunGetsConfigMetricsCheckpointsAndPlots() throws IOException {
    RunDirectory run =
        RunDirectory.create(tmp.resolve("runs"), "softmax", LocalDateTime.of(2026, 1, 2, 3, 4, 5));
    assertEquals("softmax-20260102-030405", run.path().getFileName().toString());
    SolverOptions options =
        SolverOptions.builder()
            .updateRule("adam", Map.of("learning_rate", 1e-2))
            .batchSize(20)
            .numEpochs(3)
            .verbose(false)
            .printEvery(2)
            .checkpointName("checkpoint")
            .checkpointDir(run.checkpointsDir())
            .model("softmax", Map.of("classes", 4))
            .build();
    run.writeConfig(Map.of("solver", options.toMap(), "data", "synthetic"));
    SoftmaxModel model = new SoftmaxModel(3 * 4 * 4, 4, 1);
    Solver solver = new Solver(model, SoftmaxModel.images(100, 40, 4, 4, 1.0, 2), options);
    try (MetricsLog log = new MetricsLog(run.metricsFile(), options.printEvery())) {
      solver.addListener(log).train();
    }
    List<Path> files = RunReport.write(run, solver, "W1", new int[] {3, 4, 4}, CLASSES);
    assertEquals(
        List.of("loss.png", "accuracy.png", "weights.png", "confusion.png"),
        files.stream().map(p -> p.getFileName().toString()).toList());

    BufferedImage loss = png(run.file("loss.png"));
    assertEquals(Charts.WIDTH, loss.getWidth());
    assertEquals(Charts.HEIGHT, loss.getHeight());
    BufferedImage acc = png(run.file("accuracy.png"));
    assertEquals(Charts.WIDTH, acc.getWidth());
    // 4 filters of 4x4: a 2x2 grid of 9x9 pixels, enlarged 600 / 9 = 66 times, 20 px margins and
    // a 50 px title band.
    BufferedImage weights = png(run.file("weights.png"));
    assertEquals(9 * 66 + 40, weights.getWidth());
    assertEquals(9 * 66 + 70, weights.getHeight());
    BufferedImage confusion = png(run.file("confusion.png"));
    assertTrue(confusion.getWidth() > 4 * 64 && confusion.getHeight() > 4 * 64);

    Map<?, ?> config = (Map<?, ?>) Json.parse(Files.readString(run.configFile()));
    assertEquals("synthetic", config.get("data"));
    assertEquals(
        options, SolverOptions.fromMap((Map<?, ?>) config.get("solver")), "config round-trips");

    List<Map<String, Object>> rows = MetricsLog.read(run.metricsFile());
    assertEquals("start", rows.get(0).get("event"));
    assertEquals("finish", rows.get(rows.size() - 1).get("event"));
    assertEquals("completed", rows.get(rows.size() - 1).get("status"));
    List<Map<String, Object>> epochs = events(rows, "epoch");
    assertEquals(solver.valAccHistory().size(), epochs.size());
    for (int i = 0; i < epochs.size(); i++) {
      assertEquals(solver.valAccHistory().get(i), epochs.get(i).get("val_acc"));
      assertEquals(solver.trainAccHistory().get(i), epochs.get(i).get("train_acc"));
    }
    // 5 iterations per epoch, 15 in all, a summary every 2: iterations 2, 4, ..., 14 and 15.
    List<Map<String, Object>> its = events(rows, "iterations");
    assertEquals(8, its.size());
    assertEquals(2L, its.get(0).get("iteration"));
    assertEquals(15L, its.get(7).get("iteration"));
    double mean = (solver.lossHistory().get(0) + solver.lossHistory().get(1)) / 2;
    assertEquals(mean, (Double) its.get(0).get("loss_mean"), 1e-15);
    List<Map<String, Object>> cps = events(rows, "checkpoint");
    assertEquals(4, cps.size(), "at each accuracy check");
    Path last = run.checkpointsDir().resolve((String) cps.get(3).get("file"));
    assertEquals(15, Checkpoint.read(last).iteration());
  }

  private static List<Map<String, Object>> events(List<Map<String, Object>> rows, String name) {
    return rows.stream().filter(r -> name.equals(r.get("event"))).toList();
  }

  @Test
  void runFoldersStartedInTheSameSecondGetSuffixes() throws IOException {
    LocalDateTime t = LocalDateTime.of(2026, 5, 6, 7, 8, 9);
    Path a = RunDirectory.create(tmp, "x", t).path();
    Path b = RunDirectory.create(tmp, "x", t).path();
    Path c = RunDirectory.create(tmp, "x", t).path();
    assertEquals("x-20260506-070809", a.getFileName().toString());
    assertEquals("x-20260506-070809-2", b.getFileName().toString());
    assertEquals("x-20260506-070809-3", c.getFileName().toString());
    assertThrows(IllegalArgumentException.class, () -> RunDirectory.create(tmp, "../x", t));
    assertThrows(IllegalArgumentException.class, () -> RunDirectory.open(tmp.resolve("nope")));
  }

  @Test
  void movingAverageIsCentredAndShrinksAtTheEnds() {
    double[] m = Charts.movingAverage(List.of(1.0, 2.0, 3.0, 10.0, 5.0), 3);
    assertEquals(1.5, m[0], 1e-15, "mean of the first two");
    assertEquals(2.0, m[1], 1e-15);
    assertEquals(5.0, m[2], 1e-15);
    assertEquals(6.0, m[3], 1e-15);
    assertEquals(7.5, m[4], 1e-15, "mean of the last two");
    assertEquals(List.of(1.0, 3.0), toList(Charts.movingAverage(List.of(1.0, 3.0), 1)));
    assertThrows(IllegalArgumentException.class, () -> Charts.movingAverage(List.of(1.0), 2));
    assertEquals(1, Charts.windowFor(10));
    assertEquals(99, Charts.windowFor(4900));
    assertEquals(900.0, Charts.axisEnd(800));
    assertEquals(900.0, Charts.axisEnd(799));
    assertEquals(800.0, Charts.axisEnd(780));
    assertEquals(5000.0, Charts.axisEnd(4900));
    assertEquals(18.0, Charts.axisEnd(15));
    assertEquals(2.0, Charts.axisEnd(1));
  }

  private static List<Double> toList(double[] a) {
    return Arrays.stream(a).boxed().toList();
  }

  @Test
  void figuresCheckTheirInputs() throws IOException {
    Path f = tmp.resolve("w.png");
    Figures.weightsGrid(Tensor.zeros(DType.FLOAT32, 6, 1, 5, 5), null, "conv1", f);
    BufferedImage conv = png(f);
    // 6 filters: a 3x3 grid of 5x5 tiles, 17x17 pixels, enlarged 600 / 17 = 35 times; the empty
    // third row is cut, leaving 11 rows of pixels.
    assertEquals(17 * 35 + 40, conv.getWidth());
    assertEquals(11 * 35 + 70, conv.getHeight());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Figures.weightsGrid(Tensor.zeros(6, 2, 5, 5), null, "t", f));
    assertTrue(e.getMessage().contains("1 or 3 channels"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Figures.weightsGrid(Tensor.zeros(48, 3), null, "t", f));
    assertTrue(e.getMessage().contains("(48, 3)"), e.getMessage());
    Tensor counts = Tensor.of(new int[] {5, 1, 0, 2, 7, 1, 0, 0, 9}, 3, 3);
    Figures.confusionMatrix(counts, null, "numbers", tmp.resolve("c.png"));
    png(tmp.resolve("c.png"));
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Figures.confusionMatrix(counts, List.of("a", "b"), "t", f));
    assertTrue(e.getMessage().contains("2 class names for 3 classes"), e.getMessage());
  }
}
