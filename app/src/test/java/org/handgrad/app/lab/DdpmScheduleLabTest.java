package org.handgrad.app.lab;

import static org.handgrad.app.lab.LabTesting.num;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ddpm-schedules lab's quick form: q_sample matches sqrt(abar) on real images, the linear
 * schedule destroys the image early, the cosine one turns it to noise at a constant rate.
 */
class DdpmScheduleLabTest {
  @TempDir Path tmp;

  @Test
  void linearDestroysEarlyCosineEvenlyAndQSampleMatchesTheFormula() throws IOException {
    LabRunner.Outcome o = LabTesting.runQuick(tmp, "ddpm-schedules", true);
    double tol = num(o, "tolerance");
    assertEquals(5 / Math.sqrt(num(o, "pixels")), tol, 1e-12);
    for (String s : new String[] {"linear", "cosine", "sigmoid"}) {
      assertTrue(num(o, s + "_max_abs_corr_minus_sqrt_alpha_bar") <= tol, s);
      // The measured share of destroyed steps is the formula's, give or take a few steps.
      assertEquals(
          num(o, s + "_fraction_destroyed_formula"), num(o, s + "_fraction_destroyed"), 0.01, s);
    }
    assertTrue(num(o, "linear_fraction_destroyed") > 3 * num(o, "cosine_fraction_destroyed"));
    assertTrue(num(o, "cosine_angle_deviation") < 0.05);
    assertTrue(num(o, "linear_angle_deviation") > 0.2);
    // Half-way through, the linear schedule has less than a fifth of the cosine one's abar.
    assertTrue(num(o, "linear_alpha_bar_at_2_4") < 0.2 * num(o, "cosine_alpha_bar_at_2_4"));
    assertTrue(Files.isRegularFile(o.dir().resolve("noising.png")));
    assertTrue(Files.isRegularFile(o.dir().resolve("schedules.png")));
  }

  @Test
  void angleAndFractions() {
    assertEquals(0.0, DdpmScheduleLab.angle(1));
    assertEquals(1.0, DdpmScheduleLab.angle(0));
    assertEquals(0.5, DdpmScheduleLab.angle(Math.cos(Math.PI / 4)), 1e-12);
    assertEquals(1.0, DdpmScheduleLab.angle(-0.2)); // clamped
    // A constant-rate curve: corr_t = cos(pi/2 * t/T) for t = 1..T is exactly on the line.
    int n = 8;
    double[] r = new double[n];
    for (int i = 0; i < n; i++) {
      r[i] = Math.cos(Math.PI / 2 * (i + 1.0) / n);
    }
    assertEquals(0.0, DdpmScheduleLab.angleDeviation(r), 1e-12);
    r[3] = 0; // step 4 of 8 already pure noise: the angle is 1 where the line is 0.5
    assertEquals(0.5, DdpmScheduleLab.angleDeviation(r), 1e-12);
    assertEquals(0.25, DdpmScheduleLab.fractionBelow(new double[] {0.01, 0.5, 0.2, 0.9}, 0.05));
  }
}
