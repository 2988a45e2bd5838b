package org.handgrad.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.function.Function;
import org.handgrad.models.cnn.BnConvNet;
import org.handgrad.models.cnn.ThreeLayerConvNet;
import org.handgrad.models.fc.FullyConnectedNet;
import org.handgrad.models.fc.Normalization;
import org.handgrad.models.fc.TwoLayerNet;
import org.handgrad.models.linear.LinearClassifier;
import org.handgrad.models.linear.LinearSvm;
import org.handgrad.models.linear.Softmax;
import org.handgrad.nn.Model;
import org.handgrad.nn.Parameter;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.handgrad.testing.Fixtures;
import org.handgrad.testing.Golden;
import org.junit.jupiter.api.Test;

/**
 * Whole models against PyTorch (scripts/fixtures/models.py): the same parameters loaded into the
 * Java model must give PyTorch's training loss and every parameter gradient, within 1e-10 at
 * float64 and 1e-5 at float32 ({@code max|ours - torch| / max|torch|}).
 */
class ModelsGoldenTest {
  private static final Map<String, Tensor> FIX = Fixtures.load("models");

  private static double tol(DType dt) {
    return dt == DType.FLOAT64 ? 1e-10 : 1e-5;
  }

  private static String suffix(DType dt) {
    return dt == DType.FLOAT64 ? "f64" : "f32";
  }

  /** Loads the case's parameters, runs loss(x, y) and compares loss and gradients. */
  private static Model check(String c, Function<DType, Model> build, DType dt) {
    Model m = build.apply(dt);
    for (Parameter p : m.parameters()) {
      p.assign(Fixtures.get(FIX, c + "_" + p.name()).to(dt));
    }
    Tensor x = Fixtures.get(FIX, c + "_x").to(dt);
    int[] y = Fixtures.get(FIX, c + "_y").toIntArray();
    String s = c + "_" + suffix(dt);
    double loss = m.loss(x, y);
    Golden.assertClose(s + " loss", loss, Fixtures.get(FIX, s + "_loss").item(), tol(dt));
    for (Parameter p : m.parameters()) {
      Tensor expected = Fixtures.get(FIX, s + "_d" + p.name()).to(dt);
      if (c.equals("fc_batchnorm") && (p.name().equals("b1") || p.name().equals("b2"))) {
        // A bias before a batchnorm has gradient identically 0: both libraries give round-off,
        // which a relative measure cannot compare. Both must be negligible instead.
        double bound = dt == DType.FLOAT64 ? 1e-12 : 1e-6;
        assertTrue(maxAbs(p.grad()) < bound, s + " d" + p.name() + " " + maxAbs(p.grad()));
        assertTrue(maxAbs(expected) < bound, s + " torch d" + p.name() + " " + maxAbs(expected));
        continue;
      }
      Golden.assertClose(s + " d" + p.name(), p.grad(), expected, tol(dt));
    }
    return m;
  }

  private static double maxAbs(Tensor t) {
    double m = 0;
    for (int i = 0; i < t.size(); i++) {
      m = Math.max(m, Math.abs(t.getFlat(i)));
    }
    return m;
  }

  private static void bothDtypes(String c, Function<DType, Model> build) {
    check(c, build, DType.FLOAT64);
    check(c, build, DType.FLOAT32);
  }

  @Test
  void linearClassifiers() {
    bothDtypes(
        "svm", dt -> new LinearSvm(new LinearClassifier.Config(6, 4, 0.3, 1e-3, false, dt, 0)));
    bothDtypes(
        "softmax", dt -> new Softmax(new LinearClassifier.Config(6, 4, 0.3, 1e-3, false, dt, 0)));
  }

  @Test
  void twoLayerNet() {
    bothDtypes(
        "two_layer", dt -> new TwoLayerNet(new TwoLayerNet.Config(12, 9, 5, 1e-3, 0.2, dt, 0)));
  }

  @Test
  void fullyConnectedNets() {
    for (Normalization norm :
        new Normalization[] {Normalization.BATCHNORM, Normalization.LAYERNORM}) {
      bothDtypes(
          "fc_" + norm.cliName(),
          dt ->
              new FullyConnectedNet(
                  new FullyConnectedNet.Config(
                      new int[] {8, 6}, 10, 5, 1, norm, 0.1, 1e-2, dt, 0)));
    }
  }

  @Test
  void threeLayerConvNet() {
    bothDtypes(
        "cnn",
        dt ->
            new ThreeLayerConvNet(
                new ThreeLayerConvNet.Config(new int[] {2, 8, 8}, 4, 5, 7, 5, 1e-3, 0.05, dt, 0)));
  }

  @Test
  void batchnormConvNetTrainAndTestMode() {
    for (DType dt : new DType[] {DType.FLOAT64, DType.FLOAT32}) {
      Model m =
          check(
              "bn_cnn",
              d ->
                  new BnConvNet(
                      new BnConvNet.Config(
                          new int[] {1, 8, 8}, new int[] {3, 4}, 1, 6, 5, 1.0, 0.05, d, 0)),
              dt);
      // Test mode with the fixture's running statistics, loaded as a checkpoint would.
      Map<String, Tensor> buffers = m.buffers();
      for (int i = 1; i <= 3; i++) {
        for (String k : new String[] {"running_mean", "running_var"}) {
          Tensor src = Fixtures.get(FIX, "bn_cnn_bn" + i + "_" + k);
          Tensor dst = buffers.get("bn" + i + "." + k);
          for (int j = 0; j < dst.size(); j++) {
            dst.setFlat(j, src.getFlat(j));
          }
        }
        assertEquals(1, (int) buffers.get("bn" + i + ".num_batches_tracked").item());
      }
      Tensor x = Fixtures.get(FIX, "bn_cnn_x").to(dt);
      Golden.assertClose(
          "bn_cnn test scores " + dt,
          m.loss(x),
          Fixtures.get(FIX, "bn_cnn_" + suffix(dt) + "_test_scores").to(dt),
          tol(dt));
    }
  }
}
