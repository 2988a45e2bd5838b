package org.handgrad.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import org.handgrad.app.generate.LatentCheckpoint;
import org.handgrad.io.Json;
import org.handgrad.io.Png;
import org.handgrad.io.Safetensors;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code generate train --method vae|gan -> sample -> eval} end to end on the built-in shapes with
 * tiny networks, exact resume, and the bad inputs. One VAE run and one conditional GAN run are
 * shared.
 */
class GenerateVaeGanTest {
  @TempDir static Path tmp;
  static Path vae;
  static Path gan;
  static Path classifier;

  static CliRun cli(String... args) {
    return CliRun.run(tmp.resolve("home"), args);
  }

  /** 64 shapes, batch 16: 4 steps per epoch. */
  static String[] train(Path out, String method, int epochs, String... extra) {
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
                "16",
                "--epochs",
                Integer.toString(epochs)));
    if (method.equals("vae")) {
      a.addAll(List.of("--set", "hidden=16", "--set", "latent=4"));
    } else {
      a.addAll(List.of("--set", "width=4", "--set", "noise_dim=8"));
    }
    a.addAll(List.of(extra));
    return a.toArray(new String[0]);
  }

  @BeforeAll
  static void trainBoth() throws IOException {
    vae = tmp.resolve("vae");
    CliRun v = cli(train(vae, "vae", 2));
    assertEquals(0, v.code(), v.all());
    gan = tmp.resolve("gan");
    CliRun g = cli(train(gan, "gan", 2));
    assertEquals(0, g.code(), g.all());
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
  void vaeTrainWritesEpochLinesCheckpointsLossPlotAndSamples() throws IOException {
    CliRun r = cli(train(tmp.resolve("vae-2"), "vae", 2, "--keep-checkpoints", "1"));
    assertEquals(0, r.code(), r.all());
    Matcher line =
        Pattern.compile(
                "epoch 2/2  step 8  -ELBO ([0-9.]+)  reconstruction ([0-9.]+)  kl ([0-9.]+)  [0-9]+"
                    + " img/s  ETA")
            .matcher(r.out());
    assertTrue(line.find(), r.all());
    // the epoch's -ELBO is the sum of its two terms
    assertEquals(
        Double.parseDouble(line.group(1)),
        Double.parseDouble(line.group(2)) + Double.parseDouble(line.group(3)),
        2e-4,
        r.all());
    Path out = tmp.resolve("vae-2");
    assertTrue(Files.isRegularFile(out.resolve("checkpoints/vae_step_8.json")), r.all());
    assertFalse(Files.exists(out.resolve("checkpoints/vae_step_4.json")), "kept only the newest");
    assertFalse(Files.exists(out.resolve("checkpoints/vae_step_4.safetensors")));
    assertPng(out.resolve("loss.png"));
    // 64 samples, 8 x 8 tiles of 32 + 2 pixels of padding
    assertArrayEquals(
        new int[] {3, 8 * 32 + 7 * 2, 8 * 32 + 7 * 2},
        Png.read(out.resolve("samples/epoch_2.png")).shape());
    LatentCheckpoint c = LatentCheckpoint.read(out.resolve("checkpoints/vae_step_8.json"));
    assertEquals(8, c.step());
    assertEquals(List.of("loss", "reconstruction", "kl"), List.copyOf(c.losses().keySet()));
    assertEquals(8, c.losses().get("loss").size());
    String page = Files.readString(out.resolve("report.html"));
    assertTrue(page.contains("<figcaption>samples/epoch_2.png"), page);
  }

  @Test
  void ganTrainsConditionalByDefaultAndSamplesARowPerClass() throws IOException {
    Map<?, ?> config = (Map<?, ?>) Json.parse(Files.readString(gan.resolve("config.json")));
    assertEquals(10, ((Number) ((Map<?, ?>) config.get("gan")).get("num_classes")).intValue());
    assertEquals(2e-4, ((Number) config.get("lr")).doubleValue());
    // 10 classes x 8 in the training grid
    assertArrayEquals(
        new int[] {3, 10 * 32 + 9 * 2, 8 * 32 + 7 * 2},
        Png.read(gan.resolve("samples/epoch_2.png")).shape());
    Path png = tmp.resolve("g.png");
    CliRun r =
        cli(
            "generate",
            "sample",
            "--checkpoint",
            gan.toString(),
            "--n",
            "20",
            "--out",
            png.toString());
    assertEquals(0, r.code(), r.all());
    assertTrue(r.out().contains("20 samples from step 8 of the gan, a row per class"), r.all());
    assertArrayEquals(new int[] {3, 10 * 32 + 9 * 2, 2 * 32 + 2}, Png.read(png).shape());
    CliRun one =
        cli(
            "generate",
            "sample",
            "--checkpoint",
            gan.toString(),
            "--class",
            "3",
            "--n",
            "4",
            "--out",
            tmp.resolve("g3.png").toString());
    assertEquals(0, one.code(), one.all());
    assertTrue(one.out().contains(", class 3"), one.all());
    assertArrayEquals(
        new int[] {3, 2 * 32 + 2, 2 * 32 + 2}, Png.read(tmp.resolve("g3.png")).shape());
  }

  @Test
  void ganEvalPrintsTheFrechetDistanceFloorAndClassAccuracy() throws IOException {
    CliRun r =
        cli(
            "generate",
            "eval",
            "--checkpoint",
            gan.toString(),
            "--classifier",
            classifier.toString(),
            "--n",
            "40",
            "--batch",
            "16");
    assertEquals(0, r.code(), r.all());
    Matcher fd = Pattern.compile("penultimate features: ([0-9.]+)").matcher(r.out());
    Matcher floor = Pattern.compile("floor: ([0-9.]+)").matcher(r.out());
    assertTrue(fd.find() && floor.find(), r.all());
    // eight steps of a tiny GAN: its images are far from the real ones
    assertTrue(Double.parseDouble(fd.group(1)) > Double.parseDouble(floor.group(1)), r.all());
    Matcher acc =
        Pattern.compile("class accuracy of the samples under the classifier: ([0-9.]+)%")
            .matcher(r.out());
    assertTrue(acc.find(), r.all());
    Path json = gan.resolve("eval/gan_step8_n40.json");
    Map<?, ?> result = (Map<?, ?>) Json.parse(Files.readString(json));
    assertEquals(
        Double.parseDouble(acc.group(1)),
        100 * ((Number) result.get("class_accuracy")).doubleValue(),
        0.005);
    assertEquals(40, ((Number) result.get("n")).intValue());
  }

  @Test
  void vaeEvalPrintsTheTestElboAndTheTighterImportanceSampledNll() throws IOException {
    CliRun r = cli("generate", "eval", "--checkpoint", vae.toString(), "--n", "50", "--k", "50");
    assertEquals(0, r.code(), r.all());
    Map<?, ?> result =
        (Map<?, ?>) Json.parse(Files.readString(vae.resolve("eval/vae_step8_n50.json")));
    double elbo = ((Number) result.get("test_elbo_nats")).doubleValue();
    double nll = ((Number) result.get("test_nll_nats")).doubleValue();
    assertTrue(
        r.out().contains(String.format(java.util.Locale.ROOT, "test ELBO: %.3f", elbo)), r.all());
    assertTrue(Double.isFinite(elbo) && elbo < 0, r.all());
    // log p(x) >= the K-sample bound >= the ELBO (in expectation; 50 samples make the gap clear)
    assertTrue(nll < -elbo, "NLL " + nll + " vs -ELBO " + -elbo);
    assertFalse(result.containsKey("frechet_distance"), "no classifier, no distance");
    CliRun judged =
        cli(
            "generate",
            "eval",
            "--checkpoint",
            vae.toString(),
            "--classifier",
            classifier.toString(),
            "--n",
            "20",
            "--k",
            "2");
    assertEquals(0, judged.code(), judged.all());
    assertTrue(judged.out().contains("penultimate features:"), judged.all());
    assertFalse(judged.out().contains("class accuracy"), "an unconditional model: " + judged.all());
  }

  @Test
  void mnistFilesInTheDataFolderTrainAVaeCalledByTheModelAlias() throws IOException {
    Path data = tmp.resolve("data");
    TinyIdx.write(data.resolve("mnist"), 32, 10, 28);
    Path out = tmp.resolve("vae-mnist");
    CliRun r =
        cli(
            "generate",
            "train",
            "--model",
            "vae",
            "--data",
            "mnist",
            "--data-dir",
            data.toString(),
            "--out",
            out.toString(),
            "--num-train",
            "32",
            "--batch-size",
            "16",
            "--epochs",
            "1",
            "--set",
            "hidden=8",
            "--set",
            "latent=2");
    assertEquals(0, r.code(), r.all());
    assertTrue(r.out().contains("vae on mnist (32 images)"), r.all());
    // 64 samples of 28 x 28
    assertArrayEquals(
        new int[] {1, 8 * 28 + 7 * 2, 8 * 28 + 7 * 2},
        Png.read(out.resolve("samples/epoch_1.png")).shape());
  }

  @Test
  void resumeAfterAnEpochContinuesExactly() throws IOException {
    Path resumed = tmp.resolve("gan-resumed");
    assertEquals(0, cli(train(resumed, "gan", 1)).code());
    CliRun r = cli("generate", "train", "--out", resumed.toString(), "--resume", "--epochs", "2");
    assertEquals(0, r.code(), r.all());
    assertTrue(r.out().contains("resumed at step 4 (epoch 1 of 2)"), r.all());
    assertSameCheckpoint(
        gan.resolve("checkpoints/gan_step_8"), resumed.resolve("checkpoints/gan_step_8"));
  }

  /** Same losses, weights, buffers, Adam state and random stream. */
  static void assertSameCheckpoint(Path a, Path b) throws IOException {
    LatentCheckpoint ca = LatentCheckpoint.read(Path.of(a + ".json"));
    LatentCheckpoint cb = LatentCheckpoint.read(Path.of(b + ".json"));
    assertEquals(ca.losses(), cb.losses());
    Safetensors.Contents ta = Safetensors.read(Path.of(a + ".safetensors"));
    Safetensors.Contents tb = Safetensors.read(Path.of(b + ".safetensors"));
    assertEquals(ta.metadata().get("rng_state"), tb.metadata().get("rng_state"));
    assertEquals(ta.tensors().keySet(), tb.tensors().keySet());
    for (Map.Entry<String, Tensor> e : ta.tensors().entrySet()) {
      assertArrayEquals(
          e.getValue().toDoubleArray(),
          tb.tensors().get(e.getKey()).toDoubleArray(),
          e.getKey() + " differs");
    }
  }

  @Test
  void badInputGetsAClearUsageError() {
    String[][] cases = {
      {
        "--iters is for ddpm and flow",
        "generate",
        "train",
        "--method",
        "vae",
        "--out",
        "x",
        "--iters",
        "3"
      },
      {
        "--epochs is for vae and gan",
        "generate",
        "train",
        "--method",
        "ddpm",
        "--out",
        "x",
        "--epochs",
        "3"
      },
      {
        "unknown gan option 'latent'",
        "generate",
        "train",
        "--method",
        "gan",
        "--out",
        "x",
        "--set",
        "latent=3"
      },
      {
        "--set loss: expected bce or ls, got 'wgan'",
        "generate",
        "train",
        "--method",
        "gan",
        "--out",
        "x",
        "--set",
        "loss=wgan"
      },
      {
        "--schedule is for ddpm and flow runs",
        "generate",
        "train",
        "--method",
        "gan",
        "--out",
        "x",
        "--schedule",
        "cosine"
      },
      {
        "--method: expected ddpm, flow, vae or gan",
        "generate",
        "train",
        "--method",
        "diffusion",
        "--out",
        "x"
      },
      {
        "--class must be in [0, 10), got 12",
        "generate",
        "sample",
        "--checkpoint",
        "GAN",
        "--class",
        "12"
      },
      {"this vae is unconditional", "generate", "sample", "--checkpoint", "VAE", "--class", "1"},
      {
        "a vae or gan samples in one pass",
        "generate",
        "sample",
        "--checkpoint",
        "VAE",
        "--steps",
        "3"
      },
      {
        "--classifier is required for a gan run",
        "generate",
        "eval",
        "--checkpoint",
        "GAN",
        "--n",
        "10"
      },
      {"--k must be >= 1", "generate", "eval", "--checkpoint", "VAE", "--k", "0"},
      {"--guidance", "generate", "eval", "--checkpoint", "GAN", "--guidance", "2"},
    };
    for (String[] c : cases) {
      String[] args = java.util.Arrays.copyOfRange(c, 1, c.length);
      for (int i = 0; i < args.length; i++) {
        args[i] =
            switch (args[i]) {
              case "GAN" -> gan.toString();
              case "VAE" -> vae.toString();
              case "x" -> tmp.resolve("bad").toString();
              default -> args[i];
            };
      }
      CliRun r = cli(args);
      assertEquals(2, r.code(), String.join(" ", args) + ": " + r.all());
      assertTrue(r.err().contains(c[0]), "expected '" + c[0] + "' in " + r.all());
    }
    CliRun big =
        cli(
            "generate",
            "train",
            "--method",
            "vae",
            "--out",
            tmp.resolve("big").toString(),
            "--data",
            "shapes",
            "--num-train",
            "64",
            "--batch-size",
            "65");
    assertEquals(2, big.code(), big.all());
    assertTrue(
        big.err().contains("--batch-size 65 is larger than the 64 training images"), big.all());
  }

  private static void assertPng(Path p) throws IOException {
    byte[] b = Files.readAllBytes(p);
    assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, java.util.Arrays.copyOf(b, 4));
  }
}
