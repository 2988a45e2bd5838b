package org.handgrad.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.handgrad.app.generate.GenCheckpoint;
import org.handgrad.io.Png;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code generate train -> sample -> eval} end to end on the built-in shapes with a tiny U-Net,
 * exact resume, and the bad inputs. One class-conditional DDPM run (T = 50) is shared.
 */
class GenerateTrainSampleEvalTest {
  @TempDir static Path tmp;
  static Path run;
  static Path classifier;

  /** A tiny U-Net: widths 8, 16 (32 -> 16), GroupNorm(4), 2 heads, embedding 16. */
  private static final String[] TINY = {
    "--set",
    "base_width=8",
    "--set",
    "widths=8,16",
    "--set",
    "time_dim=16",
    "--set",
    "groups=4",
    "--set",
    "heads=2"
  };

  static CliRun cli(String... args) {
    return CliRun.run(tmp.resolve("home"), args);
  }

  static String[] train(Path out, String method, int iters, String... extra) {
    List<String> a =
        new ArrayList<>(
            List.of(
                "generate",
                "train",
                "--method",
                method,
                "--out",
                out.toString(),
                "--data",
                "shapes",
                "--num-train",
                "64",
                "--batch-size",
                "8",
                "--timesteps",
                "50",
                "--iters",
                Integer.toString(iters),
                "--log-every",
                "2",
                "--checkpoint-every",
                "2",
                "--lr",
                "1e-3"));
    a.addAll(List.of(TINY));
    a.addAll(List.of(extra));
    a.addAll(List.of("--sample-steps", "2"));
    return a.toArray(new String[0]);
  }

  @BeforeAll
  static void trainBoth() throws IOException {
    run = tmp.resolve("ddpm");
    CliRun r = cli(train(run, "ddpm", 4));
    assertEquals(0, r.code(), r.all());
    CliRun c =
        cli(
            "train",
            "--model",
            "bn-cnn",
            "--set",
            "widths=4,8",
            "--set",
            "hidden_dim=16",
            "--data",
            "shapes",
            "--num-train",
            "200",
            "--num-test",
            "20",
            "--epochs",
            "1",
            "--batch-size",
            "50",
            "--run-dir",
            tmp.resolve("cls").toString());
    assertEquals(0, c.code(), c.all());
    try (Stream<Path> s = Files.list(tmp.resolve("cls"))) {
      classifier = s.findFirst().orElseThrow();
    }
  }

  @Test
  void trainWritesProgressCheckpointsLossPlotAndSamples() throws IOException {
    Path out = tmp.resolve("flow");
    CliRun r = cli(train(out, "flow", 2, "--sample-every", "2", "--set", "num_classes=0"));
    assertEquals(0, r.code(), r.all());
    assertTrue(r.out().contains("step 2/2  loss "), r.all());
    assertTrue(r.out().contains("img/s  ETA"), r.all());
    assertTrue(Files.isRegularFile(out.resolve("checkpoints/gen_step_2.json")), r.all());
    assertPng(out.resolve("loss.png"));
    Tensor grid = Png.read(out.resolve("samples/step_2.png"));
    // 64 unconditional samples, 8 x 8 tiles of 32 + 2 pixels of padding
    assertArrayEquals(new int[] {3, 8 * 32 + 7 * 2, 8 * 32 + 7 * 2}, grid.shape());
    String page = Files.readString(out.resolve("report.html"));
    assertTrue(page.contains("<figcaption>samples/step_2.png"), page);
    assertTrue(page.contains("<figcaption>loss.png") && page.contains("(config.json)"), page);
  }

  @Test
  void sampleWritesAGridWithARowPerClassAndATrajectory() throws IOException {
    Path png = tmp.resolve("s.png");
    CliRun r =
        cli(
            "generate",
            "sample",
            "--checkpoint",
            run.toString(),
            "--n",
            "20",
            "--steps",
            "5",
            "--out",
            png.toString(),
            "--trajectory");
    assertEquals(0, r.code(), r.all());
    assertTrue(r.out().contains("ddim with 5 steps"), r.all());
    // 10 classes x 2: two columns, one row per class
    assertArrayEquals(new int[] {3, 10 * 32 + 9 * 2, 2 * 32 + 2}, Png.read(png).shape());
    // frames at steps 0..5 (every max(1, 5/10) = 1 step): 6 tiles in a strip
    Tensor strip = Png.read(tmp.resolve("s-trajectory.png"));
    assertArrayEquals(new int[] {3, 32, 6 * 32 + 5 * 2}, strip.shape());
    CliRun ancestral =
        cli(
            "generate",
            "sample",
            "--checkpoint",
            run.toString(),
            "--sampler",
            "ddpm",
            "--class",
            "3",
            "--n",
            "4",
            "--out",
            tmp.resolve("a.png").toString());
    assertEquals(0, ancestral.code(), ancestral.all());
    assertTrue(ancestral.out().contains("ddpm with 50 steps"), ancestral.all());
  }

  @Test
  void evalPrintsTheFrechetDistanceFloorAndClassAccuracy() throws IOException {
    CliRun r =
        cli(
            "generate",
            "eval",
            "--checkpoint",
            run.toString(),
            "--classifier",
            classifier.toString(),
            "--n",
            "40",
            "--steps",
            "3",
            "--batch",
            "20");
    assertEquals(0, r.code(), r.all());
    Matcher fd = Pattern.compile("penultimate features: ([0-9.]+)").matcher(r.out());
    Matcher floor = Pattern.compile("floor: ([0-9.]+)").matcher(r.out());
    assertTrue(fd.find() && floor.find(), r.all());
    // four steps of training: the samples are noise-like, far from the real images
    assertTrue(Double.parseDouble(fd.group(1)) > Double.parseDouble(floor.group(1)), r.all());
    assertTrue(r.out().contains("class accuracy of the samples"), r.all());
    try (Stream<Path> s = Files.list(run.resolve("eval"))) {
      assertTrue(s.anyMatch(p -> p.toString().endsWith("ddim_3_w3.0_n40.json")), r.all());
    }
    String page = Files.readString(run.resolve("report.html"));
    assertTrue(page.contains("(eval/ddim_3_w3.0_n40.json)") && page.contains("frechet"), page);
  }

  @Test
  void resumeContinuesExactly() throws IOException {
    Path straight = tmp.resolve("straight");
    Path resumed = tmp.resolve("resumed");
    assertEquals(0, cli(train(straight, "ddpm", 6)).code());
    assertEquals(0, cli(train(resumed, "ddpm", 2)).code());
    CliRun r =
        cli(
            "generate",
            "train",
            "--out",
            resumed.toString(),
            "--resume",
            "--iters",
            "6",
            "--log-every",
            "2",
            "--checkpoint-every",
            "2",
            "--sample-every",
            "0");
    assertEquals(0, r.code(), r.all());
    assertTrue(r.out().contains("resumed at step 2 of 6"), r.all());
    GenCheckpoint a = GenCheckpoint.read(GenCheckpoint.latest(straight));
    GenCheckpoint b = GenCheckpoint.read(GenCheckpoint.latest(resumed));
    assertEquals(6, a.step());
    assertEquals(6, b.step());
    assertEquals(a.lossHistory(), b.lossHistory());
    assertArrayEquals(a.rngState(), b.rngState());
    assertSame("model", a.model(), b.model());
    assertSame("ema", a.ema(), b.ema());
    assertSame("optim", a.optimizer(), b.optimizer());
  }

  private static void assertSame(String what, Map<String, Tensor> a, Map<String, Tensor> b) {
    assertEquals(a.keySet(), b.keySet(), what);
    for (String k : a.keySet()) {
      assertArrayEquals(
          a.get(k).toDoubleArray(), b.get(k).toDoubleArray(), what + " " + k + " differs");
    }
  }

  @Test
  void badInputGetsAClearUsageError() throws IOException {
    CliRun unknown =
        cli("generate", "sample", "--checkpoint", run.toString(), "--sampler", "euler");
    assertEquals(2, unknown.code(), unknown.all());
    assertTrue(unknown.err().contains("is for flow runs"), unknown.all());
    CliRun bogus = cli("generate", "sample", "--checkpoint", run.toString(), "--sampler", "plms");
    assertEquals(2, bogus.code(), bogus.all());
    assertTrue(bogus.err().contains("expected ddpm, ddim, euler or heun"), bogus.all());
    CliRun tooMany = cli("generate", "sample", "--checkpoint", run.toString(), "--steps", "51");
    assertEquals(2, tooMany.code(), tooMany.all());
    assertTrue(tooMany.err().contains("--steps must be in [1, T=50], got 51"), tooMany.all());

    Path uncond = tmp.resolve("uncond");
    assertEquals(0, cli(train(uncond, "ddpm", 1, "--set", "num_classes=0")).code());
    CliRun guided = cli("generate", "sample", "--checkpoint", uncond.toString(), "--guidance", "3");
    assertEquals(2, guided.code(), guided.all());
    assertTrue(guided.err().contains("unconditional"), guided.all());

    CliRun noClassifierShape =
        cli(
            "train",
            "--model",
            "bn-cnn",
            "--set",
            "widths=4",
            "--set",
            "hidden_dim=8",
            "--data",
            "mnist",
            "--no-fetch",
            "--num-train",
            "40",
            "--num-test",
            "10",
            "--epochs",
            "1",
            "--batch-size",
            "20",
            "--run-dir",
            tmp.resolve("cls28").toString());
    assertEquals(0, noClassifierShape.code(), noClassifierShape.all());
    Path cls28;
    try (Stream<Path> s = Files.list(tmp.resolve("cls28"))) {
      cls28 = s.findFirst().orElseThrow();
    }
    CliRun wrongShape =
        cli(
            "generate",
            "eval",
            "--checkpoint",
            run.toString(),
            "--classifier",
            cls28.toString(),
            "--n",
            "10");
    assertEquals(2, wrongShape.code(), wrongShape.all());
    assertTrue(
        wrongShape.err().contains("reads images of shape [1, 28, 28]")
            && wrongShape.err().contains("the generator makes [3, 32, 32]"),
        wrongShape.all());

    CliRun again = cli(train(run, "ddpm", 4));
    assertEquals(2, again.code(), again.all());
    assertTrue(again.err().contains("already holds a run"), again.all());
  }

  private static void assertPng(Path p) throws IOException {
    byte[] b = Files.readAllBytes(p);
    assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, java.util.Arrays.copyOf(b, 4));
  }
}
