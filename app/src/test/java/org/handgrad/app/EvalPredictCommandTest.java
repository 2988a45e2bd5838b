package org.handgrad.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.handgrad.io.Json;
import org.handgrad.io.Png;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code eval} and {@code predict} on a checkpoint trained once on tiny shapes. */
class EvalPredictCommandTest {
  @TempDir static Path tmp;
  static Path run;
  static double trainTestAcc;

  @BeforeAll
  static void trainOnce() throws IOException {
    CliRun r =
        CliRun.run(
            tmp.resolve("home"),
            "train",
            "--model",
            "two-layer",
            "--hidden-dims",
            "20",
            "--data",
            "shapes",
            "--num-train",
            "300",
            "--num-test",
            "60",
            "--epochs",
            "2",
            "--batch-size",
            "50",
            "--run-dir",
            tmp.resolve("runs").toString());
    assertEquals(0, r.code(), r.all());
    try (Stream<Path> s = Files.list(tmp.resolve("runs"))) {
      run = s.findFirst().orElseThrow();
    }
    trainTestAcc =
        ((Number)
                ((Map<?, ?>) Json.parse(Files.readString(run.resolve("result.json"))))
                    .get("test_acc"))
            .doubleValue();
  }

  private static CliRun cli(String... args) {
    return CliRun.run(tmp.resolve("home"), args);
  }

  @Test
  void attentionMapsNeedAVisionTransformer() throws IOException {
    Path image = tmp.resolve("blank.png");
    Png.write(image, Tensor.zeros(org.handgrad.tensor.DType.FLOAT32, 1, 28, 28));
    CliRun r =
        cli(
            "predict",
            "--checkpoint",
            run.toString(),
            "--attention",
            tmp.resolve("maps").toString(),
            image.toString());
    assertEquals(2, r.code(), r.all());
    assertTrue(
        r.err().contains("error: --attention needs a vit checkpoint")
            && r.err().contains("holds a TwoLayerNet"),
        r.all());
    assertTrue(Files.notExists(tmp.resolve("maps")), "nothing written");
  }

  @Test
  void evalReproducesTheTestAccuracyOfTrain() {
    CliRun r = cli("eval", "--checkpoint", run.toString(), "--num-test", "60");
    assertEquals(0, r.code(), r.all());
    assertTrue(
        r.out()
            .contains(String.format(Locale.ROOT, "test accuracy: %.4f (60 shapes", trainTestAcc)),
        r.all());
    assertTrue(r.out().contains("(best parameters)"), r.all());
    // Per-class lines: name, accuracy, 10 counts that sum to the class's examples.
    long rows =
        r.out().lines().filter(l -> l.matches("\\S+\\s+(\\d\\.\\d{4}|NaN)(\\s+\\d+){10}")).count();
    assertEquals(10, rows, r.all());
    assertTrue(Files.exists(run.resolve("confusion-eval.png")));
  }

  @Test
  void evalOfTheLatestParametersAndOfAFolderOfCheckpoints() {
    CliRun r =
        cli(
            "eval",
            "--checkpoint",
            run.resolve("checkpoints").toString(),
            "--latest",
            "--num-test",
            "20",
            "--confusion",
            tmp.resolve("c.png").toString());
    assertEquals(0, r.code(), r.all());
    assertTrue(r.out().contains("(latest)"), r.all());
    assertTrue(Files.exists(tmp.resolve("c.png")));
  }

  @Test
  void evalErrors() throws IOException {
    CliRun missing = cli("eval", "--checkpoint", tmp.resolve("none").toString());
    assertEquals(1, missing.code());
    assertTrue(missing.err().contains("does not exist"), missing.all());
    TinyIdx.write(tmp.resolve("data").resolve("mnist"), 20, 10, 8);
    CliRun wrongShape =
        cli(
            "eval",
            "--checkpoint",
            run.toString(),
            "--data",
            "mnist",
            "--data-dir",
            tmp.resolve("data").toString());
    assertEquals(1, wrongShape.code(), wrongShape.all());
    assertTrue(
        wrongShape.err().contains("mnist has images (1, 8, 8) but the model takes (3, 32, 32)"),
        wrongShape.all());
    CliRun absent =
        cli(
            "eval",
            "--checkpoint",
            run.toString(),
            "--data",
            "cifar10",
            "--data-dir",
            tmp.resolve("data").toString(),
            "--no-fetch");
    assertEquals(1, absent.code(), absent.all());
    assertTrue(absent.err().contains("cifar10 is not available"), absent.all());
    CliRun noTta = cli("eval", "--checkpoint", run.toString(), "--tta", "flip");
    assertEquals(1, noTta.code(), noTta.all());
    assertTrue(noTta.err().contains("model two-layer has no setting 'tta'"), noTta.all());
    CliRun noOption = cli("eval");
    assertEquals(2, noOption.code());
    assertTrue(
        noOption.err().contains("Missing required option: '--checkpoint=PATH'"), noOption.all());
  }

  @Test
  void predictPrintsTheTopThreeWithProbabilities() throws IOException {
    // A grey 50x40 picture and a colour 16x16 one: both are brought to (3, 32, 32).
    float[] grey = new float[50 * 40];
    for (int i = 0; i < grey.length; i++) {
      grey[i] = (i * 7) % 256;
    }
    Path a = tmp.resolve("a.png");
    Png.write(a, Tensor.of(grey, 1, 50, 40));
    float[] rgb = new float[3 * 16 * 16];
    for (int i = 0; i < rgb.length; i++) {
      rgb[i] = (i * 13) % 256;
    }
    Path b = tmp.resolve("b.png");
    Png.write(b, Tensor.of(rgb, 3, 16, 16));
    CliRun r = cli("predict", "--checkpoint", run.toString(), a.toString(), b.toString());
    assertEquals(0, r.code(), r.all());
    List<String> lines = r.out().lines().toList();
    assertEquals(2, lines.size(), r.all());
    Pattern p =
        Pattern.compile(
            ".*:  1\\. (\\S+) (\\d\\.\\d{3})  2\\. (\\S+) (\\d\\.\\d{3})  3\\. (\\S+) (\\d\\.\\d{3})");
    for (String line : lines) {
      Matcher m = p.matcher(line);
      assertTrue(m.matches(), line);
      double p1 = Double.parseDouble(m.group(2));
      double p2 = Double.parseDouble(m.group(4));
      double p3 = Double.parseDouble(m.group(6));
      assertTrue(p1 >= p2 && p2 >= p3 && p1 + p2 + p3 <= 1.0005, line);
    }
    assertTrue(lines.get(0).startsWith(a.toString()), lines.get(0));
  }

  @Test
  void predictReportsUnreadableImages() throws IOException {
    Path notImage = tmp.resolve("x.png");
    Files.writeString(notImage, "not a png");
    CliRun r = cli("predict", "--checkpoint", run.toString(), notImage.toString());
    assertEquals(1, r.code(), r.all());
    assertTrue(r.err().contains("not an image"), r.all());
    CliRun badInvert = cli("predict", "--checkpoint", run.toString(), "--invert", "maybe", "x");
    assertEquals(2, badInvert.code());
  }

  @Test
  void helpForEveryCommand() {
    for (String c : List.of("train", "eval", "predict")) {
      CliRun r = cli(c, "--help");
      assertEquals(0, r.code(), c);
      assertTrue(r.out().startsWith("Usage: handgrad " + c), r.out());
    }
  }
}
