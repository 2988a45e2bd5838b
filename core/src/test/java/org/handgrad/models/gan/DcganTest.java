package org.handgrad.models.gan;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleSupplier;
import org.handgrad.nn.GradCheck;
import org.handgrad.nn.Parameter;
import org.handgrad.nn.functional.GanLosses;
import org.handgrad.nn.functional.Losses;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Rng;
import org.handgrad.tensor.Tensor;
import org.handgrad.testing.Fixtures;
import org.handgrad.testing.Golden;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The DCGAN: both losses through both networks against PyTorch with the same weights and noise
 * (unconditional and class-conditional), float64 gradient checks of every parameter through the
 * losses, alternating training, checkpoints, and errors.
 */
class DcganTest {
  private static final Map<String, Tensor> FIX = Fixtures.load("generative");

  /**
   * Below this magnitude a gradient element is compared by absolute error: the centered
   * difference's round-off (~1e-11) would dominate its relative error (as in ModuleChecks).
   */
  private static final double MIN_GRADIENT = 1e-3;

  private static Dcgan.Config tiny(int classes, DType dt, Dcgan.LossKind loss) {
    return new Dcgan.Config(new int[] {1, 8, 8}, 3, 2, classes, loss, dt, 21);
  }

  private static Tensor torchLayout(Tensor v) {
    return v.ndim() == 2 ? v.transpose().contiguous() : v; // nn.Linear weight is (out, in)
  }

  private static void load(List<Parameter> params, String prefix, DType dt) {
    for (Parameter p : params) {
      p.assign(torchLayout(Fixtures.get(FIX, prefix + p.name()).to(dt)));
    }
  }

  private static int[] labels(String key) {
    return FIX.containsKey(key) ? Fixtures.get(FIX, key).toIntArray() : null;
  }

  @ParameterizedTest
  @CsvSource({"gan_u, 0, FLOAT64", "gan_u, 0, FLOAT32", "gan_c, 2, FLOAT64", "gan_c, 2, FLOAT32"})
  void lossesThroughBothNetworksMatchPyTorch(String c, int classes, DType dt) {
    String t = c + (dt == DType.FLOAT64 ? "_f64_" : "_f32_");
    double tol = dt == DType.FLOAT64 ? 1e-10 : 2e-4;
    Dcgan gan = new Dcgan(tiny(classes, dt, Dcgan.LossKind.BCE));
    load(gan.generatorParameters(), c + "_p_g_", dt);
    load(gan.discriminatorParameters(), c + "_p_d_", dt);
    GanLosses.DiscriminatorLoss d =
        gan.discriminatorLossAndBackward(
            Fixtures.get(FIX, c + "_real").to(dt),
            Fixtures.get(FIX, c + "_z_d").to(dt),
            labels(c + "_labels_real"),
            labels(c + "_labels_fake"));
    Golden.assertClose("d_loss", d.loss(), Fixtures.get(FIX, t + "d_loss").item(), tol);
    for (Parameter p : gan.discriminatorParameters()) {
      Tensor g = torchLayout(Fixtures.get(FIX, t + "grad_d_" + p.name()).to(dt));
      Golden.assertClose("D " + p.name(), p.grad(), g, tol);
    }
    Losses.Loss g =
        gan.generatorLossAndBackward(Fixtures.get(FIX, c + "_z_g").to(dt), labels(c + "_labels_g"));
    Golden.assertClose("g_loss", g.loss(), Fixtures.get(FIX, t + "g_loss").item(), tol);
    for (Parameter p : gan.generatorParameters()) {
      Tensor e = torchLayout(Fixtures.get(FIX, t + "grad_g_" + p.name()).to(dt));
      Golden.assertClose("G " + p.name(), p.grad(), e, tol);
    }
  }

  /**
   * Every parameter of both networks against numerical gradients of the loss that trains it, at
   * float64. BatchNorm in training mode has large third derivatives on tiny batches, so the
   * numerical gradient is Richardson-extrapolated from steps h and 2h, as in ModuleChecks.
   */
  @ParameterizedTest
  @CsvSource({"0, BCE", "2, LEAST_SQUARES"})
  void bothLossesPassTheFloat64GradientCheck(int classes, Dcgan.LossKind loss) {
    Dcgan gan = new Dcgan(tiny(classes, DType.FLOAT64, loss));
    Rng rng = new Rng(31);
    // DCGAN's N(0, 0.02) weights make most gradients ~1e-5, where the centered difference's
    // round-off (~1e-11 absolute) alone is a relative error above 1e-7; weights of scale
    // 1 / sqrt(fan_in) (as in the PyTorch fixtures) test the same maths with gradients well above
    // it.
    for (Parameter p : gan.generatorParameters()) {
      rescale(p, rng);
    }
    for (Parameter p : gan.discriminatorParameters()) {
      rescale(p, rng);
    }
    Tensor real = rng.uniform(DType.FLOAT64, -1, 1, 3, 1, 8, 8);
    Tensor zd = gan.noise(3, rng);
    Tensor zg = gan.noise(3, rng);
    int[] yr = classes == 0 ? null : new int[] {0, 1, 1};
    int[] yf = classes == 0 ? null : new int[] {1, 0, 1};
    gan.discriminatorLossAndBackward(real, zd, yr, yf);
    check(
        "D",
        gan.discriminatorParameters(),
        () -> gan.discriminatorLossAndBackward(real, zd, yr, yf).loss());
    gan.generatorLossAndBackward(zg, yf);
    check("G", gan.generatorParameters(), () -> gan.generatorLossAndBackward(zg, yf).loss());
  }

  private static void rescale(Parameter p, Rng rng) {
    int[] s = p.shape();
    if (s.length >= 2) {
      int fanIn = p.size() / s[0];
      p.assign(rng.randn(DType.FLOAT64, s).div(Math.sqrt(fanIn)));
    } else if (p.name().endsWith("bias")) {
      p.assign(rng.randn(DType.FLOAT64, s).mul(0.2));
    }
  }

  private static void check(String net, List<Parameter> params, DoubleSupplier loss) {
    List<Tensor> analytic = new ArrayList<>();
    for (Parameter p : params) {
      analytic.add(p.grad().copy());
    }
    double h = GradCheck.DEFAULT_H;
    for (int i = 0; i < params.size(); i++) {
      Parameter p = params.get(i);
      Tensor n1 = GradCheck.evalNumericalGradient(v -> loss.getAsDouble(), p.value(), h);
      Tensor n2 = GradCheck.evalNumericalGradient(v -> loss.getAsDouble(), p.value(), 2 * h);
      Tensor numeric = n1.mul(4).sub(n2).div(3);
      for (int j = 0; j < numeric.size(); j++) {
        double a = analytic.get(i).getFlat(j);
        double nu = numeric.getFlat(j);
        String at = net + " " + p.name() + "[" + j + "]: analytic " + a + ", numeric " + nu;
        if (Math.abs(a) >= MIN_GRADIENT) {
          assertTrue(GradCheck.relError(a, nu) < 1e-7, at);
        } else {
          assertTrue(Math.abs(a - nu) < 1e-9, at); // far above round-off, far below a real error
        }
      }
    }
  }

  /** A few alternating steps run, change both networks, and resume exactly from a checkpoint. */
  @Test
  void trainingStepsAndCheckpointResumeExactly(@TempDir Path dir) throws Exception {
    Tensor x = new Rng(32).uniform(DType.FLOAT32, 0, 1, 12, 1, 8, 8);
    int[] y = {0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1};
    GanTrainer a =
        new GanTrainer(
            new Dcgan(tiny(2, DType.FLOAT32, Dcgan.LossKind.BCE)),
            new GanTrainer.Options(4, 1e-3, 0.5, 6));
    Tensor before = a.gan().generatorParameters().get(0).value().copy();
    GanTrainer.StepLosses first = a.epoch(x, y);
    assertTrue(Double.isFinite(first.discriminator()) && Double.isFinite(first.generator()));
    assertTrue(
        GradCheck.relError(before, a.gan().generatorParameters().get(0).value()) > 0,
        "the generator did not move");
    a.save(dir.resolve("gan.safetensors"));
    GanTrainer.StepLosses expected = a.epoch(x, y);
    GanTrainer b =
        new GanTrainer(
            new Dcgan(tiny(2, DType.FLOAT32, Dcgan.LossKind.BCE)),
            new GanTrainer.Options(4, 1e-3, 0.5, 77));
    b.restore(dir.resolve("gan.safetensors"));
    assertEquals(3, b.step());
    GanTrainer.StepLosses resumed = b.epoch(x, y);
    assertEquals(expected.discriminator(), resumed.discriminator(), 0.0);
    assertEquals(expected.generator(), resumed.generator(), 0.0);
    Tensor samples = b.gan().generate(b.gan().noise(4, new Rng(1)), new int[] {0, 1, 0, 1});
    assertArrayEquals(new int[] {4, 1, 8, 8}, samples.shape());
    assertTrue(samples.abs().max().item() <= 1);
  }

  @Test
  void badInputGetsClearErrors() {
    Dcgan u = new Dcgan(tiny(0, DType.FLOAT64, Dcgan.LossKind.BCE));
    Dcgan c = new Dcgan(tiny(2, DType.FLOAT64, Dcgan.LossKind.BCE));
    Tensor z = Tensor.zeros(DType.FLOAT64, 2, 3);
    assertMessage(() -> u.generatorInput(z, new int[] {0, 1}), "labels given to an unconditional");
    assertMessage(() -> c.generatorInput(z, null), "a conditional model needs 2 labels, got none");
    assertMessage(
        () -> c.generatorInput(z, new int[] {0, 2}), "label 2 at index 1 is outside [0, 2)");
    assertMessage(
        () -> u.generatorInput(Tensor.zeros(DType.FLOAT64, 2, 4), null),
        "dcgan: expected z (N, 3) with N >= 1, got (2, 4)");
    assertMessage(
        () -> u.discriminatorInput(Tensor.zeros(DType.FLOAT64, 2, 1, 7, 8), null),
        "dcgan: expected images (N, 1, 8, 8) with N >= 1, got (2, 1, 7, 8)");
    assertMessage(
        () ->
            new Dcgan.Config(new int[] {1, 30, 28}, 3, 2, 0, Dcgan.LossKind.BCE, DType.FLOAT32, 0),
        "dcgan: image size 30x28 is not divisible by 4");
    assertMessage(
        () -> new Dcgan.Config(new int[] {1, 8, 8}, 3, 2, 1, Dcgan.LossKind.BCE, DType.FLOAT32, 0),
        "numClasses");
    assertMessage(
        () -> new Dcgan.Config(new int[] {1, 8, 8}, 0, 2, 0, Dcgan.LossKind.BCE, DType.FLOAT32, 0),
        "noiseDim");
  }

  private static void assertMessage(Runnable r, String expected) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }
}
