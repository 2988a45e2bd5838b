package org.handgrad.app.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.handgrad.data.Split;
import org.handgrad.io.Safetensors;
import org.handgrad.models.gan.Dcgan;
import org.handgrad.models.vae.Vae;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The VAE / GAN training loop: a run stopped in the middle of an epoch resumes to the same bits as
 * a run that never stopped; the configuration survives its JSON; checkpoints are listed by step.
 */
class LatentTrainerTest {
  @TempDir Path tmp;

  private static final PrintWriter QUIET = new PrintWriter(new StringWriter());

  /** 40 shapes with batch 16: three steps per epoch, the last of 8 images. */
  private static Split data() throws IOException {
    Split s = GenData.load("shapes", 40, 10, null, QUIET).train();
    return s.withX(s.x().to(org.handgrad.tensor.DType.FLOAT32));
  }

  private static LatentConfig config(String method) {
    Map<String, String> model =
        method.equals("vae")
            ? Map.of("hidden", "12", "latent", "3")
            : Map.of("width", "4", "noise_dim", "6");
    return LatentConfig.of(method, "shapes", 40, 16, null, 7, model);
  }

  @Test
  void aRunStoppedMidEpochResumesExactly() throws IOException {
    Split train = data();
    for (String method : List.of("vae", "gan")) {
      LatentConfig cfg = config(method);
      Path straight = tmp.resolve(method + "-straight");
      assertTrue(
          new LatentTrainer(cfg, straight, train, QUIET, QUIET, new AtomicBoolean())
              .run(2, 9, null));

      Path stopped = tmp.resolve(method + "-stopped");
      AtomicBoolean stop = new AtomicBoolean();
      boolean done =
          new LatentTrainer(cfg, stopped, train, QUIET, QUIET, stop)
              .afterStep(step -> stop.set(step == 4)) // the first step of epoch 2
              .run(2, 9, null);
      assertFalse(done);
      Path at4 = stopped.resolve("checkpoints/" + method + "_step_4.json");
      assertTrue(Files.isRegularFile(at4), method);
      assertTrue(Files.isRegularFile(stopped.resolve("samples/step_4.png")), method);
      assertTrue(
          new LatentTrainer(cfg, stopped, train, QUIET, QUIET, new AtomicBoolean()).run(2, 9, at4));

      Path a = straight.resolve("checkpoints/" + method + "_step_6");
      Path b = stopped.resolve("checkpoints/" + method + "_step_6");
      assertEquals(
          LatentCheckpoint.read(Path.of(a + ".json")).losses(),
          LatentCheckpoint.read(Path.of(b + ".json")).losses(),
          method);
      Safetensors.Contents ta = Safetensors.read(Path.of(a + ".safetensors"));
      Safetensors.Contents tb = Safetensors.read(Path.of(b + ".safetensors"));
      assertEquals(ta.metadata().get("rng_state"), tb.metadata().get("rng_state"), method);
      assertEquals(ta.tensors().keySet(), tb.tensors().keySet(), method);
      for (Map.Entry<String, Tensor> e : ta.tensors().entrySet()) {
        assertArrayEquals(
            e.getValue().toDoubleArray(),
            tb.tensors().get(e.getKey()).toDoubleArray(),
            method + " " + e.getKey());
      }
      // the straight run kept a checkpoint per epoch, listed by step
      assertEquals(
          straight.resolve("checkpoints/" + method + "_step_6.json"),
          LatentCheckpoint.latest(straight));
    }
  }

  @Test
  void theConfigurationSurvivesItsJson() {
    for (String method : List.of("vae", "gan")) {
      LatentConfig c =
          LatentConfig.of(
              method,
              "fashion-mnist",
              1000,
              32,
              3e-4,
              5,
              method.equals("vae")
                  ? Map.of("hidden", "50", "latent", "7", "likelihood", "gaussian", "sigma", "0.25")
                  : Map.of("width", "16", "num_classes", "0", "loss", "ls", "seed", "3"));
      LatentConfig back = LatentConfig.fromMap(c.toMap());
      assertEquals(c, back, method);
    }
    LatentConfig d = LatentConfig.of("gan", "fashion-mnist", 10, null, null, 0, Map.of());
    assertEquals(
        new Dcgan.Config(new int[] {1, 28, 28}, 64, 64, 10, Dcgan.LossKind.BCE, d.gan().dtype(), 0),
        d.gan());
    assertEquals(128, d.batchSize());
    assertEquals(2e-4, d.learningRate());
    LatentConfig v = LatentConfig.of("vae", "fashion-mnist", 10, null, null, 0, Map.of());
    assertEquals(Vae.Config.fashionMnist(), v.vae());
    assertEquals(1e-3, v.learningRate());
  }

  @Test
  void badOptionsNameThemselves() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> LatentConfig.of("vae", "shapes", 10, null, null, 0, Map.of("hidden", "x")));
    assertTrue(
        e.getMessage().contains("--set hidden: expected an integer, got 'x'"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> LatentConfig.of("vae", "shapes", 10, null, null, 0, Map.of("width", "4")));
    assertTrue(e.getMessage().contains("unknown vae option 'width'"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> LatentConfig.of("gan", "shapes", 10, 0, null, 0, Map.of()));
    assertTrue(e.getMessage().contains("--batch-size must be >= 1"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                LatentConfig.of(
                    "vae", "shapes", 10, null, null, 0, Map.of("likelihood", "poisson")));
    assertTrue(e.getMessage().contains("expected bernoulli or gaussian"), e.getMessage());
  }
}
