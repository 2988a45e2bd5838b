package org.handgrad.app.lab;

import static org.handgrad.app.lab.LabTesting.num;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rnn-gradients lab's quick form: at gain 1 the RNN's gradient vanishes and the open LSTM's
 * does not; at gain 3 the RNN's explodes, the LSTM's much less, and clipping bounds the step.
 */
class RnnGradientLabTest {
  @TempDir Path tmp;

  @Test
  void vanishesAtGainOneExplodesAtGainThreeClippingBoundsTheStep() throws IOException {
    LabRunner.Outcome o = LabTesting.runQuick(tmp, "rnn-gradients", true);
    assertTrue(num(o, "rnn_ratio_first_over_last") < 1e-3);
    assertTrue(
        num(o, "lstm_bias3_ratio_first_over_last") > 100 * num(o, "rnn_ratio_first_over_last"));
    // Opening the forget gates helps monotonically.
    assertTrue(
        num(o, "lstm_bias3_ratio_first_over_last") > num(o, "lstm_bias1_ratio_first_over_last"));

    // Exploding side: the RNN's growth rises with the gain, by orders of magnitude at gain 3.
    double g1 = num(o, "gain1_rnn_ratio_first_over_last");
    double g2 = num(o, "gain2_rnn_ratio_first_over_last");
    double g3 = num(o, "gain3_rnn_ratio_first_over_last");
    assertTrue(g1 < g2 && g2 < g3, g1 + " < " + g2 + " < " + g3);
    assertTrue(g3 > 1e3, "RNN growth at gain 3: " + g3);
    assertTrue(100 * num(o, "gain3_lstm_ratio_first_over_last") < g3);
    double radius = num(o, "gain3_rnn_spectral_radius");
    assertTrue(radius > 2 && radius < 4, "spectral radius " + radius);
    assertTrue(num(o, "gain3_rnn_update_over_weights") > 1);
    assertTrue(
        num(o, "gain3_rnn_clipped_update_norm")
            <= RnnGradientLab.LR * RnnGradientLab.MAX_NORM * (1 + 1e-9));
    assertTrue(Files.isRegularFile(o.dir().resolve("exploding.png")));
  }

  @Test
  void lastStepIsTheReference() {
    double[] g = RnnGradientLab.probe(false, 0, 1, 2, 3, 4, 1, 0).relative();
    assertEquals(RnnGradientLab.STEPS, g.length);
    assertEquals(1.0, g[RnnGradientLab.STEPS - 1], 1e-12);
  }

  @Test
  void spectralRadiusOfKnownMatrices() {
    // Real eigenvalues 0.5, 2 and -3.
    Tensor diag = Tensor.of(new double[] {0.5, 0, 0, 0, 2, 0, 0, 0, -3}, 3, 3);
    assertEquals(3.0, RnnGradientLab.spectralRadius(diag, 400, 1), 1e-6);
    // A rotation by 90 degrees scaled by 1.5: eigenvalues +-1.5i, where power iteration cycles.
    Tensor rot = Tensor.of(new double[] {0, -1.5, 1.5, 0}, 2, 2);
    assertEquals(1.5, RnnGradientLab.spectralRadius(rot, 400, 1), 1e-9);
    // A Jordan block: eigenvalue 0.8 twice; the formula's limit is reached slowly (~ 1/k).
    Tensor jordan = Tensor.of(new double[] {0.8, 1, 0, 0.8}, 2, 2);
    assertEquals(0.8, RnnGradientLab.spectralRadius(jordan, 4000, 1), 0.01);
    assertThrows(
        IllegalArgumentException.class,
        () -> RnnGradientLab.spectralRadius(Tensor.of(new double[] {1, 2}, 1, 2), 10, 0));
  }
}
