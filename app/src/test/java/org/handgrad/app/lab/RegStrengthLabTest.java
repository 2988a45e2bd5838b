package org.handgrad.app.lab;

import static org.handgrad.app.lab.LabTesting.num;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reg-strength lab's quick form: too strong an L2 penalty underfits and shrinks the weights.
 */
class RegStrengthLabTest {
  @TempDir Path tmp;

  @Test
  void tooStrongRegularizationUnderfitsAndDominatesTheLoss() throws IOException {
    LabRunner.Outcome o = LabTesting.runQuick(tmp, "reg-strength", true);
    assertTrue(num(o, "strongest_train_acc") < num(o, "moderate_train_acc") - 0.1, "underfits");
    assertTrue(num(o, "no_reg_gap") > 0.05, "without regularization the net overfits a little");
    assertTrue(Math.abs(num(o, "strongest_gap")) < num(o, "no_reg_gap") / 2, "the gap closes");
    assertTrue(num(o, "strongest_init_reg_loss") > num(o, "strongest_init_data_loss"));
    assertTrue(num(o, "strongest_data_loss") > 3 * num(o, "moderate_data_loss"));
    assertTrue(num(o, "strongest_weight_norm") < num(o, "no_reg_weight_norm") / 2);
    assertTrue(Files.size(o.dir().resolve("reg-sweep.png")) > 1000);
  }
}
