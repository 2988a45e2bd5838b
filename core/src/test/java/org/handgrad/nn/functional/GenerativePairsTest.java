package org.handgrad.nn.functional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.function.Function;
import org.handgrad.nn.GradCheck;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Rng;
import org.handgrad.tensor.Tensor;
import org.handgrad.testing.Fixtures;
import org.handgrad.testing.Golden;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The VAE and GAN pairs ({@link Reparameterize}, {@link GaussianKl}, {@link Likelihoods}, {@link
 * GanLosses}): against PyTorch (fixtures/generative.npz from scripts/fixtures/generative.py),
 * float64 numerical gradients, and clear errors for bad input.
 */
class GenerativePairsTest {

  @Test
  void bernoulliLikelihoodIsTheSameForAnyThreadCount() {
    // 64 x 300 pixels: past Parallel's threshold, so the examples are split over the threads
    Rng rng = new Rng(11);
    Tensor logits = rng.randn(DType.FLOAT32, 64, 300).mul(4);
    Tensor x = rng.uniform(DType.FLOAT32, 0, 1, 64, 300);
    ThreadCounts.assertSameForAnyThreadCount(
        () -> {
          var f = Likelihoods.bernoulliNllForward(logits, x);
          return java.util.List.of(
              f.out(), Likelihoods.bernoulliNllBackward(Tensor.ones(DType.FLOAT32, 64), f.cache()));
        });
  }

  private static final Map<String, Tensor> FIX = Fixtures.load("generative");
  private static final double H = GradCheck.DEFAULT_H;

  private static Tensor fix(String key, DType dtype) {
    return Fixtures.get(FIX, key).to(dtype);
  }

  private static String tag(DType dtype) {
    return dtype == DType.FLOAT64 ? "f64" : "f32";
  }

  private static double tol(DType dtype) {
    return dtype == DType.FLOAT64 ? 1e-12 : 1e-5;
  }

  // ---------------------------------------------------------------- PyTorch

  @ParameterizedTest
  @EnumSource(
      value = DType.class,
      names = {"FLOAT64", "FLOAT32"})
  void klMatchesPyTorch(DType dt) {
    Forward<GaussianKl.Cache> f =
        GaussianKl.gaussianKlForward(fix("kl_mu", dt), fix("kl_logvar", dt));
    Golden.assertClose("kl", f.out(), fix("kl_" + tag(dt) + "_out", dt), tol(dt));
    GaussianKl.Grads g = GaussianKl.gaussianKlBackward(fix("kl_dout", dt), f.cache());
    Golden.assertClose("dmu", g.dmu(), fix("kl_" + tag(dt) + "_dmu", dt), tol(dt));
    Golden.assertClose("dlogvar", g.dlogvar(), fix("kl_" + tag(dt) + "_dlogvar", dt), tol(dt));
  }

  @ParameterizedTest
  @EnumSource(
      value = DType.class,
      names = {"FLOAT64", "FLOAT32"})
  void reparameterizeMatchesPyTorch(DType dt) {
    Forward<Reparameterize.Cache> f =
        Reparameterize.reparameterizeForward(
            fix("rep_mu", dt), fix("rep_logvar", dt), fix("rep_eps", dt));
    Golden.assertClose("z", f.out(), fix("rep_" + tag(dt) + "_out", dt), tol(dt));
    Reparameterize.Grads g = Reparameterize.reparameterizeBackward(fix("rep_dout", dt), f.cache());
    Golden.assertClose("dmu", g.dmu(), fix("rep_" + tag(dt) + "_dmu", dt), tol(dt));
    Golden.assertClose("dlogvar", g.dlogvar(), fix("rep_" + tag(dt) + "_dlogvar", dt), tol(dt));
  }

  @ParameterizedTest
  @EnumSource(
      value = DType.class,
      names = {"FLOAT64", "FLOAT32"})
  void likelihoodsMatchPyTorchIncludingHugeLogits(DType dt) {
    Forward<Likelihoods.Cache> b =
        Likelihoods.bernoulliNllForward(fix("bnll_logits", dt), fix("bnll_x", dt));
    Golden.assertClose("bernoulli", b.out(), fix("bnll_" + tag(dt) + "_out", dt), tol(dt));
    Golden.assertClose(
        "dlogits",
        Likelihoods.bernoulliNllBackward(fix("bnll_dout", dt), b.cache()),
        fix("bnll_" + tag(dt) + "_dlogits", dt),
        tol(dt));
    Forward<Likelihoods.Cache> g =
        Likelihoods.gaussianNllForward(fix("gnll_mean", dt), fix("gnll_x", dt), 0.7);
    Golden.assertClose("gaussian", g.out(), fix("gnll_" + tag(dt) + "_out", dt), tol(dt));
    Golden.assertClose(
        "dmean",
        Likelihoods.gaussianNllBackward(fix("gnll_dout", dt), g.cache()),
        fix("gnll_" + tag(dt) + "_dmean", dt),
        tol(dt));
  }

  @ParameterizedTest
  @EnumSource(
      value = DType.class,
      names = {"FLOAT64", "FLOAT32"})
  void ganLossesMatchCs231nNotebookFunctions(DType dt) {
    Tensor real = fix("gan_logits_real", dt);
    Tensor fake = fix("gan_logits_fake", dt);
    String t = "gan_" + tag(dt) + "_";
    GanLosses.DiscriminatorLoss d = GanLosses.discriminatorLoss(real, fake);
    Golden.assertClose("d_loss", d.loss(), Fixtures.get(FIX, t + "d_loss").item(), tol(dt));
    Golden.assertClose("d_dreal", d.dreal(), fix(t + "d_dreal", dt), tol(dt));
    Golden.assertClose("d_dfake", d.dfake(), fix(t + "d_dfake", dt), tol(dt));
    Losses.Loss g = GanLosses.generatorLoss(fake);
    Golden.assertClose("g_loss", g.loss(), Fixtures.get(FIX, t + "g_loss").item(), tol(dt));
    Golden.assertClose("g_dfake", g.dx(), fix(t + "g_dfake", dt), tol(dt));
    GanLosses.DiscriminatorLoss ls = GanLosses.lsDiscriminatorLoss(real, fake);
    Golden.assertClose("ls_d_loss", ls.loss(), Fixtures.get(FIX, t + "ls_d_loss").item(), tol(dt));
    Golden.assertClose("ls_d_dreal", ls.dreal(), fix(t + "ls_d_dreal", dt), tol(dt));
    Golden.assertClose("ls_d_dfake", ls.dfake(), fix(t + "ls_d_dfake", dt), tol(dt));
    Losses.Loss lg = GanLosses.lsGeneratorLoss(fake);
    Golden.assertClose("ls_g_loss", lg.loss(), Fixtures.get(FIX, t + "ls_g_loss").item(), tol(dt));
    Golden.assertClose("ls_g_dfake", lg.dx(), fix(t + "ls_g_dfake", dt), tol(dt));
  }

  // ---------------------------------------------------------------- float64 numerical gradients

  private static void assertGrad(String what, Tensor analytic, Tensor numeric) {
    double e = GradCheck.relError(analytic, numeric);
    assertTrue(e < 1e-7, what + ": relative error " + e);
  }

  private static Tensor numeric(Function<Tensor, Tensor> f, Tensor x, Tensor dout) {
    return GradCheck.evalNumericalGradientArray(f, x, dout, H);
  }

  @Test
  void klAndReparameterizeGradientsAreNumericallyRight() {
    Rng rng = new Rng(901);
    Tensor mu = rng.randn(DType.FLOAT64, 3, 4);
    Tensor logvar = rng.randn(DType.FLOAT64, 3, 4);
    Tensor eps = rng.randn(DType.FLOAT64, 3, 4);
    Tensor dkl = rng.randn(DType.FLOAT64, 3);
    GaussianKl.Grads k =
        GaussianKl.gaussianKlBackward(dkl, GaussianKl.gaussianKlForward(mu, logvar).cache());
    assertGrad(
        "kl dmu", k.dmu(), numeric(m -> GaussianKl.gaussianKlForward(m, logvar).out(), mu, dkl));
    assertGrad(
        "kl dlogvar",
        k.dlogvar(),
        numeric(l -> GaussianKl.gaussianKlForward(mu, l).out(), logvar, dkl));
    Tensor dz = rng.randn(DType.FLOAT64, 3, 4);
    Reparameterize.Grads r =
        Reparameterize.reparameterizeBackward(
            dz, Reparameterize.reparameterizeForward(mu, logvar, eps).cache());
    assertGrad(
        "rep dmu",
        r.dmu(),
        numeric(m -> Reparameterize.reparameterizeForward(m, logvar, eps).out(), mu, dz));
    assertGrad(
        "rep dlogvar",
        r.dlogvar(),
        numeric(l -> Reparameterize.reparameterizeForward(mu, l, eps).out(), logvar, dz));
  }

  @Test
  void likelihoodGradientsAreNumericallyRight() {
    Rng rng = new Rng(902);
    Tensor out = rng.randn(DType.FLOAT64, 3, 5).mul(2);
    Tensor x = rng.uniform(DType.FLOAT64, 0, 1, 3, 5);
    Tensor dout = rng.randn(DType.FLOAT64, 3);
    assertGrad(
        "bernoulli",
        Likelihoods.bernoulliNllBackward(dout, Likelihoods.bernoulliNllForward(out, x).cache()),
        numeric(l -> Likelihoods.bernoulliNllForward(l, x).out(), out, dout));
    assertGrad(
        "gaussian",
        Likelihoods.gaussianNllBackward(dout, Likelihoods.gaussianNllForward(out, x, 0.3).cache()),
        numeric(m -> Likelihoods.gaussianNllForward(m, x, 0.3).out(), out, dout));
  }

  @Test
  void ganLossGradientsAreNumericallyRight() {
    Rng rng = new Rng(903);
    Tensor real = rng.randn(DType.FLOAT64, 4, 1).mul(2);
    Tensor fake = rng.randn(DType.FLOAT64, 5).mul(2);
    GanLosses.DiscriminatorLoss d = GanLosses.discriminatorLoss(real, fake);
    assertGrad(
        "d dreal",
        d.dreal(),
        GradCheck.evalNumericalGradient(r -> GanLosses.discriminatorLoss(r, fake).loss(), real, H));
    assertGrad(
        "d dfake",
        d.dfake(),
        GradCheck.evalNumericalGradient(f -> GanLosses.discriminatorLoss(real, f).loss(), fake, H));
    assertGrad(
        "g dfake",
        GanLosses.generatorLoss(fake).dx(),
        GradCheck.evalNumericalGradient(f -> GanLosses.generatorLoss(f).loss(), fake, H));
    GanLosses.DiscriminatorLoss ls = GanLosses.lsDiscriminatorLoss(real, fake);
    assertGrad(
        "ls dreal",
        ls.dreal(),
        GradCheck.evalNumericalGradient(
            r -> GanLosses.lsDiscriminatorLoss(r, fake).loss(), real, H));
    assertGrad(
        "ls dfake",
        ls.dfake(),
        GradCheck.evalNumericalGradient(
            f -> GanLosses.lsDiscriminatorLoss(real, f).loss(), fake, H));
    assertGrad(
        "ls g dfake",
        GanLosses.lsGeneratorLoss(fake).dx(),
        GradCheck.evalNumericalGradient(f -> GanLosses.lsGeneratorLoss(f).loss(), fake, H));
  }

  // ---------------------------------------------------------------- properties

  /** The per-example Bernoulli NLL averaged over the batch is the existing batch-mean loss. */
  @Test
  void bernoulliNllAgreesWithSigmoidCrossEntropy() {
    Rng rng = new Rng(904);
    Tensor l = rng.randn(DType.FLOAT64, 4, 6).mul(3);
    Tensor x = rng.uniform(DType.FLOAT64, 0, 1, 4, 6);
    Forward<Likelihoods.Cache> f = Likelihoods.bernoulliNllForward(l, x);
    Losses.Loss s = SigmoidCrossEntropy.sigmoidCrossEntropyLoss(l, x);
    assertEquals(s.loss(), f.out().mean().item(), 1e-12);
    Tensor d = Likelihoods.bernoulliNllBackward(Tensor.full(DType.FLOAT64, 0.25, 4), f.cache());
    Golden.assertClose("dlogits", d, s.dx(), 1e-14);
  }

  /** KL is zero exactly at the prior and positive elsewhere. */
  @Test
  void klVanishesAtThePrior() {
    Tensor zero = Tensor.zeros(DType.FLOAT64, 2, 3);
    assertEquals(0.0, GaussianKl.gaussianKlForward(zero, zero).out().abs().max().item(), 0.0);
    Tensor mu = Tensor.full(DType.FLOAT64, 0.5, 2, 3);
    assertEquals(3 * 0.125, GaussianKl.gaussianKlForward(mu, zero).out().getFlat(0), 1e-15);
  }

  // ---------------------------------------------------------------- errors

  @Test
  void badInputsGetClearErrors() {
    Tensor a = Tensor.zeros(DType.FLOAT64, 2, 3);
    Tensor b = Tensor.zeros(DType.FLOAT64, 3, 2);
    assertMessage(
        () -> GaussianKl.gaussianKlForward(a, b),
        "gaussianKl: expected mu (N, d) and logvar of the same shape, got mu (2, 3) and logvar"
            + " (3, 2)");
    assertMessage(
        () -> Reparameterize.reparameterizeForward(a, a, b),
        "reparameterize: expected eps of the shape of mu (2, 3), got (3, 2)");
    assertMessage(
        () -> Reparameterize.reparameterizeForward(a, a.to(DType.FLOAT32), a),
        "reparameterize: mu is float64 but logvar is float32");
    Tensor x = Tensor.full(DType.FLOAT64, 1.5, 2, 3);
    assertMessage(
        () -> Likelihoods.bernoulliNllForward(a, x), "target 1.5 at (0, 0) is outside [0, 1]");
    assertMessage(
        () -> Likelihoods.gaussianNllForward(a, a, 0), "gaussianNll: sigma must be finite and > 0");
    assertMessage(
        () ->
            GaussianKl.gaussianKlBackward(
                Tensor.zeros(DType.FLOAT64, 3), GaussianKl.gaussianKlForward(a, a).cache()),
        "gaussianKlBackward: expected dout (2,), got (3,)");
    assertMessage(
        () -> GanLosses.discriminatorLoss(a, Tensor.zeros(DType.FLOAT64, 2)),
        "discriminatorLoss: expected logitsReal (N,) or (N, 1) with N >= 1, got (2, 3)");
    assertMessage(
        () -> GanLosses.generatorLoss(Tensor.zeros(DType.FLOAT64, 0)),
        "generatorLoss: expected logitsFake (N,) or (N, 1) with N >= 1, got (0,)");
  }

  private static void assertMessage(Runnable r, String expected) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }
}
