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
 * The mean-subtraction lab's quick form (the sign argument, the conditioning, and centred inputs
 * training better over the learning-rate grid), and its helper maths on known matrices.
 */
class MeanSubtractionLabTest {
  @TempDir Path tmp;

  @Test
  void centredInputsBreakTheSignPatternAreBetterConditionedAndTrainBetter() throws IOException {
    LabRunner.Outcome o = LabTesting.runQuick(tmp, "mean-subtraction", true);
    assertTrue(num(o, "min_raw_pixel") >= 0, "raw pixels are all >= 0");
    assertEquals(1.0, num(o, "single_signed_raw_batch1"));
    assertTrue(num(o, "single_signed_centred_batch1") < 0.1);
    assertTrue(num(o, "single_signed_raw_batch100") < num(o, "single_signed_raw_batch1"));
    assertTrue(num(o, "lambda_ratio") > 2, "E[xx'] has a much larger top eigenvalue");
    assertTrue(num(o, "cos_top_eigenvector_mean") > 0.9, "and it lies along the mean");
    assertTrue(num(o, "centred_best_loss") < num(o, "raw_best_loss"));
    assertTrue(num(o, "centred_largest_usable_lr") > num(o, "raw_largest_usable_lr"));
    assertTrue(Files.size(o.dir().resolve("lr-sweep.png")) > 1000);
  }

  @Test
  void powerIterationFindsTheTopEigenpairOfKnownMatrices() {
    // [[2, 1], [1, 2]]: eigenvalues 3 (along (1, 1)) and 1.
    MeanSubtractionLab.Eigen e =
        MeanSubtractionLab.powerIteration(new double[] {2, 1, 1, 2}, 2, 1000, 7);
    assertEquals(3.0, e.value(), 1e-10);
    assertEquals(1 / Math.sqrt(2), Math.abs(e.vector()[0]), 1e-6);
    assertEquals(e.vector()[0], e.vector()[1], 1e-6);
    // A rotated diag(1, 5, 2): Q diag Q' with Q a rotation in the (0, 2) plane by 30 degrees.
    double c = Math.cos(Math.PI / 6);
    double s = Math.sin(Math.PI / 6);
    double[][] q = {{c, 0, -s}, {0, 1, 0}, {s, 0, c}};
    double[] lambda = {1, 5, 2};
    double[] a = new double[9];
    for (int i = 0; i < 3; i++) {
      for (int j = 0; j < 3; j++) {
        for (int k = 0; k < 3; k++) {
          a[i * 3 + j] += q[i][k] * lambda[k] * q[j][k];
        }
      }
    }
    e = MeanSubtractionLab.powerIteration(a, 3, 1000, 1);
    assertEquals(5.0, e.value(), 1e-10);
    assertEquals(1.0, Math.abs(e.vector()[1]), 1e-6);
    // The zero matrix stops at once with eigenvalue 0.
    assertEquals(0.0, MeanSubtractionLab.powerIteration(new double[4], 2, 10, 1).value());
    assertThrows(
        IllegalArgumentException.class,
        () -> MeanSubtractionLab.powerIteration(new double[3], 2, 10, 1));
  }

  @Test
  void secondMomentAndCovarianceOfAKnownSample() {
    // Rows (1, 0), (3, 2): mean (2, 1); E[x x'] = [[5, 3], [3, 2]]; Cov = [[1, 1], [1, 1]].
    Tensor x = Tensor.of(new double[] {1, 0, 3, 2}, 2, 2);
    double[] m = MeanSubtractionLab.secondMoment(x, false);
    double[] cov = MeanSubtractionLab.secondMoment(x, true);
    assertEquals(5, m[0], 1e-12);
    assertEquals(3, m[1], 1e-12);
    assertEquals(3, m[2], 1e-12);
    assertEquals(2, m[3], 1e-12);
    for (double v : cov) {
      assertEquals(1, v, 1e-12);
    }
  }

  @Test
  void singleSignedFractionCountsUnitsWhoseNonzeroGradientsShareASign() {
    // Columns (units): (+, +, 0) single; (+, -, 0) mixed; (0, 0, 0) dead, not counted;
    // (-, 0, -) single.
    Tensor dw = Tensor.of(new double[] {1, 2, 0, -1, 3, -1, 0, 0, 0, 0, 0, -4}, 3, 4);
    assertEquals(2.0 / 3, MeanSubtractionLab.singleSignedFraction(dw), 1e-12);
    assertTrue(Double.isNaN(MeanSubtractionLab.singleSignedFraction(Tensor.zeros(3, 2))));
  }
}
