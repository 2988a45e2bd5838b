package org.handgrad.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code clip train}, {@code --resume}, {@code --bench}, {@code zeroshot}, {@code retrieve}. */
class ClipCommandTest {
  @TempDir Path tmp;

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine cmd = new CommandLine(new ClipCommand());
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    return cmd.execute(args);
  }

  private static final String[] TINY = {
    "--train-size",
    "40",
    "--eval-size",
    "12",
    "--image-size",
    "24",
    "--patch",
    "12",
    "--width",
    "8",
    "--depth",
    "1",
    "--heads",
    "2",
    "--embed-dim",
    "8",
    "--batch-size",
    "8",
    "--warmup",
    "1",
    "--print-every",
    "2",
    "--checkpoint-every",
    "2"
  };

  private Path train(int steps, String... extra) {
    Path dir = tmp.resolve("run");
    List<String> args = new java.util.ArrayList<>(List.of("train", "--out", dir.toString()));
    args.addAll(List.of(TINY));
    args.addAll(List.of("--steps", Integer.toString(steps)));
    args.addAll(List.of(extra));
    assertEquals(0, run(args.toArray(new String[0])), err.toString());
    return dir;
  }

  @Test
  void trainWritesARunFolderAndResumes() throws Exception {
    Path dir = train(4);
    for (String f :
        new String[] {
          "model.safetensors",
          "optimizer.safetensors",
          "config.json",
          "metrics.jsonl",
          "metrics.json",
          "loss.png",
          "report.html"
        }) {
      assertTrue(Files.exists(dir.resolve(f)), f);
    }
    String s = out.toString();
    assertTrue(s.contains("(step 4 / 4) loss"), s);
    assertTrue(s.contains("novel (12 images): zero-shot accuracy"), s);
    assertTrue(s.contains("recall@5"), s);
    assertEquals(2, Files.readAllLines(dir.resolve("metrics.jsonl")).size());
    String page = Files.readString(dir.resolve("report.html"));
    assertTrue(page.contains("metrics.json") && page.contains("<figcaption>loss.png"), page);
    // Resuming a finished run does nothing more; a longer one is refused as a different run.
    String config = Files.readString(dir.resolve("config.json"));
    assertTrue(config.contains("\"iteration\": 4"), config);
    assertEquals(0, run("train", "--out", dir.toString(), "--resume"));
    assertTrue(out.toString().contains("resuming"), out.toString());
  }

  @Test
  void resumeContinuesAnInterruptedRun() throws Exception {
    Path dir = train(6, "--minutes", "0.000001");
    assertTrue(out.toString().contains("stopping after"), out.toString());
    assertTrue(Files.readString(dir.resolve("config.json")).contains("\"iteration\": 1"));
    assertEquals(0, run("train", "--out", dir.toString(), "--resume"), err.toString());
    assertTrue(out.toString().contains("resuming " + dir + " at step 1 of 6"), out.toString());
    assertTrue(Files.readString(dir.resolve("config.json")).contains("\"iteration\": 6"));
  }

  @Test
  void benchOnlyTimes() {
    Path dir = tmp.resolve("bench");
    List<String> args =
        new java.util.ArrayList<>(List.of("train", "--bench", "--out", dir.toString()));
    args.addAll(List.of(TINY));
    args.addAll(List.of("--steps", "2"));
    assertEquals(0, run(args.toArray(new String[0])), err.toString());
    assertTrue(out.toString().contains("img/s"), out.toString());
    assertTrue(!Files.exists(dir));
  }

  @Test
  void zeroshotAndRetrieveUseTheCheckpoint() throws Exception {
    Path dir = train(2);
    assertEquals(
        0,
        run(
            "zeroshot",
            "--checkpoint",
            dir.toString(),
            "--labels",
            "red circle,blue square",
            "--eval-size",
            "12"),
        err.toString());
    String s = out.toString();
    assertTrue(s.contains("image 0:"), s);
    assertTrue(s.contains("zero-shot accuracy on novel") || s.contains("no held-out image"), s);
    Path png = tmp.resolve("grid.png");
    assertEquals(
        0,
        run(
            "retrieve",
            "--checkpoint",
            dir.toString(),
            "--k",
            "3",
            "--eval-size",
            "12",
            "--grid",
            png.toString(),
            "a red circle above a blue square"),
        err.toString());
    assertTrue(out.toString().contains("top 3 of 12 test images"), out.toString());
    assertTrue(out.toString().contains("1. image"), out.toString());
    assertTrue(Files.size(png) > 100);
  }

  @Test
  void shapeTwinsAreRecordedInTheCheckpointAndNeedShapes() throws Exception {
    Path dir = train(2, "--shape-twins");
    String config = Files.readString(dir.resolve("config.json"));
    assertTrue(config.contains("\"shape_twins\": true"), config);
    assertTrue(out.toString().contains("(step 2 / 2) loss"), out.toString());
    assertEquals(
        1,
        run(
            "train",
            "--out",
            tmp.resolve("f").toString(),
            "--shape-twins",
            "--data",
            "fashion-mnist"));
    assertTrue(err.toString().contains("--shape-twins needs --data shapes"), err.toString());
  }

  @Test
  void theConvStemIsRecordedAndABadStemIsAClearError() throws Exception {
    List<String> args = new java.util.ArrayList<>(List.of(TINY));
    args.set(args.indexOf("--patch") + 1, "8");
    List<String> conv = new java.util.ArrayList<>(List.of("train", "--steps", "2", "--stem"));
    conv.add("conv");
    conv.addAll(List.of("--out", tmp.resolve("conv").toString()));
    conv.addAll(args);
    assertEquals(0, run(conv.toArray(new String[0])), err.toString());
    String config = Files.readString(tmp.resolve("conv").resolve("config.json"));
    assertTrue(config.contains("\"vision_stem\": \"conv\""), config);
    assertTrue(Files.readString(tmp.resolve("conv").resolve("metrics.json")).contains("recall"));
    conv.set(conv.indexOf("conv"), "resnet");
    conv.set(conv.indexOf("--out") + 1, tmp.resolve("bad").toString());
    assertEquals(1, run(conv.toArray(new String[0])));
    assertTrue(
        err.toString().contains("--stem: expected patch or conv, got 'resnet'"), err.toString());
  }

  @Test
  void theResNetImageEncoderIsRecordedAndABadEncoderIsAClearError() throws Exception {
    Path dir = train(2, "--image-encoder", "resnet", "--resnet-widths", "4,8");
    String config = Files.readString(dir.resolve("config.json"));
    assertTrue(config.contains("\"image_encoder\": \"resnet\""), config);
    assertTrue(Files.readString(dir.resolve("metrics.json")).contains("recall"));
    assertEquals(0, run("train", "--out", dir.toString(), "--resume"), err.toString());
    List<String> args = new java.util.ArrayList<>(List.of("train", "--steps", "2"));
    args.addAll(List.of("--out", tmp.resolve("bad").toString(), "--image-encoder", "cnn"));
    args.addAll(List.of(TINY));
    assertEquals(1, run(args.toArray(new String[0])));
    assertTrue(
        err.toString().contains("--image-encoder: expected vit or resnet, got 'cnn'"),
        err.toString());
  }

  @Test
  void unknownWordsAndBadOptionsAreClearErrors() {
    Path dir = train(2);
    assertEquals(
        1, run("zeroshot", "--checkpoint", dir.toString(), "--labels", "red zebra,blue square"));
    assertTrue(err.toString().contains("never saw tokens for [zebra]"), err.toString());
    assertEquals(1, run("retrieve", "--checkpoint", dir.toString(), "a photo of a unicorn"));
    assertTrue(err.toString().contains("never saw tokens for [photo, unicorn]"), err.toString());
    assertEquals(1, run("train", "--data", "cifar", "--out", tmp.resolve("x").toString()));
    assertTrue(err.toString().contains("unknown --data 'cifar'"), err.toString());
    assertEquals(
        1,
        run(
            "train",
            "--batch-size",
            "1",
            "--out",
            tmp.resolve("y").toString(),
            "--train-size",
            "4"));
    assertTrue(err.toString().contains("batch size must be >= 2"), err.toString());
    assertEquals(1, run("zeroshot", "--checkpoint", tmp.resolve("none").toString()));
    assertTrue(err.toString().contains("no CLIP checkpoint"), err.toString());
  }

  @Test
  void fashionMnistPairsImagesWithTemplates() throws Exception {
    Path data = tmp.resolve("fashion-mnist");
    TinyIdx.write(data, 30, 10, 28);
    Path dir = tmp.resolve("fmrun");
    assertEquals(
        0,
        run(
            "train",
            "--data",
            "fashion-mnist",
            "--data-dir",
            tmp.toString(),
            "--out",
            dir.toString(),
            "--patch",
            "7",
            "--width",
            "8",
            "--depth",
            "1",
            "--heads",
            "2",
            "--embed-dim",
            "8",
            "--batch-size",
            "8",
            "--steps",
            "2",
            "--warmup",
            "1",
            "--eval-size",
            "10"),
        err.toString());
    assertTrue(out.toString().contains("test (10 images): zero-shot accuracy"), out.toString());
    assertEquals(
        0,
        run(
            "zeroshot",
            "--checkpoint",
            dir.toString(),
            "--labels",
            "sneaker,bag,ankle boot",
            "--template",
            "a photo of a {}"),
        err.toString());
    assertTrue(out.toString().contains("zero-shot accuracy on test"), out.toString());
  }
}
