package org.handgrad.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.handgrad.io.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code caption train} then {@code caption sample} end to end on a tiny synthetic run. */
class CaptionCommandTest {
  @TempDir Path tmp;

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine cmd = new CommandLine(new CaptionCommand());
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    return cmd.execute(args);
  }

  private Path train() {
    Path dir = tmp.resolve("run");
    int code =
        run(
            "train",
            "--train-size",
            "40",
            "--test-size",
            "8",
            "--epochs",
            "2",
            "--batch-size",
            "20",
            "--hidden",
            "16",
            "--wordvec",
            "8",
            "--features",
            "8",
            "--widths",
            "4,4,4",
            "--eval-size",
            "4",
            "--out",
            dir.toString());
    assertEquals(0, code, err.toString());
    return dir;
  }

  @Test
  @SuppressWarnings("unchecked")
  void trainWritesCheckpointsPlotsAndMetrics() throws IOException {
    Path dir = train();
    String o = out.toString();
    for (String f :
        List.of(
            "config.json",
            "model.safetensors",
            "optimizer.safetensors",
            "data.json",
            "loss.png",
            "metrics.json",
            "baseline/config.json",
            "baseline/model.safetensors",
            "baseline/loss.png")) {
      assertTrue(Files.exists(dir.resolve(f)), f + "\n" + o);
    }
    assertTrue(o.contains("training the captioner"), o);
    assertTrue(o.contains("training the image-blind baseline"), o);
    assertTrue(o.contains("(Epoch 2 / 2) loss"), o);
    assertTrue(o.contains("held-out greedy (4 images): exact"), o);
    assertTrue(o.contains("held-out test, 8 images, greedy decoding"), o);
    assertTrue(o.contains("image-blind  exact match"), o);
    Map<String, Object> metrics =
        (Map<String, Object>) Json.parse(Files.readString(dir.resolve("metrics.json")));
    assertEquals(8L, metrics.get("images"));
    Map<String, Object> model = (Map<String, Object>) metrics.get("model");
    double bleu = ((Number) model.get("bleu4")).doubleValue();
    assertTrue(bleu >= 0 && bleu <= 1, "bleu " + bleu);
    BufferedImage plot = ImageIO.read(dir.resolve("loss.png").toFile());
    assertTrue(plot.getWidth() > 100);
  }

  @Test
  void sampleDecodesScoresAndDrawsTheGrid() throws IOException {
    Path dir = train();
    for (String method : List.of("greedy", "beam", "topk", "topp", "sample")) {
      out.getBuffer().setLength(0);
      Path png = tmp.resolve(method + ".png");
      int code =
          run(
              "sample",
              "--checkpoint",
              dir.toString(),
              "--n",
              "5",
              "--method",
              method,
              "--grid",
              png.toString());
      assertEquals(0, code, err.toString());
      String o = out.toString();
      assertTrue(o.contains("[0] model:"), o);
      assertTrue(o.contains("    baseline: "), o);
      assertTrue(o.contains("    truth:    a "), o);
      assertTrue(o.contains("held-out test, 8 images"), o);
      assertTrue(o.contains("  model        exact match"), o);
      assertTrue(o.contains("  image-blind  exact match"), o);
      BufferedImage grid = ImageIO.read(png.toFile());
      assertEquals(4 * 280, grid.getWidth()); // 4 columns
      assertTrue(brightestInFirstImage(grid) > 100, "the first image is drawn, not black");
    }
    assertTrue(Files.exists(dir.resolve("samples-greedy.png")) == false);
    assertEquals(0, run("sample", "--checkpoint", dir.toString(), "--n", "2", "--split", "novel"));
    assertTrue(Files.exists(dir.resolve("samples-greedy.png")));
  }

  /** The brightest channel value inside the first cell's image (x 76..203, y 36..163). */
  private static int brightestInFirstImage(BufferedImage grid) {
    int max = 0;
    for (int y = 36; y < 164; y++) {
      for (int x = 76; x < 204; x++) {
        int rgb = grid.getRGB(x, y);
        max = Math.max(max, Math.max(rgb >> 16 & 255, Math.max(rgb >> 8 & 255, rgb & 255)));
      }
    }
    return max;
  }

  @Test
  void badUsageFailsWithAMessage() throws IOException {
    assertEquals(1, run("sample", "--checkpoint", tmp.resolve("nothing").toString()));
    assertTrue(err.toString().contains("no captioning checkpoint"), err.toString());
    Path dir = train();
    err.getBuffer().setLength(0);
    assertEquals(1, run("sample", "--checkpoint", dir.toString(), "--method", "nucleus"));
    assertTrue(err.toString().contains("known: greedy, beam, sample, topk, topp"), err.toString());
    err.getBuffer().setLength(0);
    assertEquals(1, run("sample", "--checkpoint", dir.toString(), "--split", "train"));
    assertTrue(err.toString().contains("unknown held-out split 'train'"), err.toString());
    assertEquals(1, run("train", "--cell", "gru", "--out", tmp.resolve("x").toString()));
    assertTrue(err.toString().contains("known: rnn, lstm"), err.toString());
  }

  @Test
  void transformerWithRegionsTrainsSamplesAndDrawsTheAttention() throws IOException {
    Path dir = tmp.resolve("tf");
    int code =
        run(
            "train",
            "--model",
            "transformer",
            "--regions",
            "--train-size",
            "40",
            "--test-size",
            "8",
            "--epochs",
            "1",
            "--batch-size",
            "20",
            "--width",
            "8",
            "--heads",
            "2",
            "--layers",
            "1",
            "--ffn",
            "16",
            "--features",
            "8",
            "--widths",
            "4,4,4",
            "--pretrain-epochs",
            "1",
            "--eval-size",
            "4",
            "--out",
            dir.toString());
    assertEquals(0, code, err.toString());
    assertTrue(Files.readString(dir.resolve("config.json")).contains("\"kind\": \"transformer\""));
    assertEquals(
        0,
        run(
            "sample",
            "--checkpoint",
            dir.toString(),
            "--n",
            "3",
            "--method",
            "beam",
            "--attention"),
        err.toString());
    assertTrue(Files.size(dir.resolve("attention-beam.png")) > 0);
    assertEquals(0, run("sample", "--checkpoint", dir.toString(), "--n", "2", "--method", "topp"));
  }

  @Test
  void attentionNeedsRegionFeaturesAndSaysSo() throws IOException {
    Path dir = train(); // the LSTM
    assertEquals(1, run("sample", "--checkpoint", dir.toString(), "--attention"));
    assertTrue(
        err.toString().contains("--attention needs a transformer checkpoint"), err.toString());
    assertEquals(
        1, run("train", "--model", "lstm", "--regions", "--out", tmp.resolve("y").toString()));
    assertTrue(err.toString().contains("--regions needs --model transformer"), err.toString());
    assertEquals(1, run("train", "--model", "gpt", "--out", tmp.resolve("z").toString()));
    assertTrue(err.toString().contains("known: lstm, transformer"), err.toString());
  }
}
