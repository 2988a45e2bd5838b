package org.handgrad.app.lab;

import static org.handgrad.app.lab.LabTesting.num;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The rnn-gradients lab's quick form: the RNN's gradient vanishes, the open LSTM's does not. */
class RnnGradientLabTest {
  @TempDir Path tmp;

  @Test
  void rnnGradientVanishesLstmWithOpenForgetGatesCarriesIt() throws IOException {
    LabRunner.Outcome o = LabTesting.runQuick(tmp, "rnn-gradients", true);
    assertTrue(num(o, "rnn_ratio_first_over_last") < 1e-3);
    assertTrue(
        num(o, "lstm_bias3_ratio_first_over_last") > 100 * num(o, "rnn_ratio_first_over_last"));
    // Opening the forget gates helps monotonically.
    assertTrue(
        num(o, "lstm_bias3_ratio_first_over_last") > num(o, "lstm_bias1_ratio_first_over_last"));
  }

  @Test
  void lastStepIsTheReference() {
    double[] g = RnnGradientLab.gradientByStep(false, 0, 2, 3, 4, 1, 0);
    assertEquals(RnnGradientLab.STEPS, g.length);
    assertEquals(1.0, g[RnnGradientLab.STEPS - 1], 1e-12);
  }
}
