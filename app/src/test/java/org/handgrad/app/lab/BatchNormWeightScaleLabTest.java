package org.handgrad.app.lab;

import static org.handgrad.app.lab.LabTesting.num;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The batchnorm-weight-scale lab's quick form: BatchNorm trains across the scales, plain nets not.
 */
class BatchNormWeightScaleLabTest {
  @TempDir Path tmp;

  @Test
  void batchNormLearnsAtMoreScalesThanThePlainNet() throws IOException {
    LabRunner.Outcome o = LabTesting.runQuick(tmp, "batchnorm-weight-scale", true);
    assertEquals(5.0, num(o, "scales"));
    assertTrue(
        num(o, "scales_where_batchnorm_learns") > num(o, "scales_where_baseline_learns"),
        "BatchNorm widens the window of scales that train");
    assertTrue(
        num(o, "scale_1.0e-04_baseline_best_val") < 0.25, "the tiny scale's signal vanishes");
    assertTrue(num(o, "scale_1.0e-04_batchnorm_best_val") >= 0.5);
    // Exploding scores end in a huge loss or a NaN (recorded as the text "NaN").
    Object plain = o.summary().numbers().get("scale_1_baseline_final_loss");
    assertTrue(
        "NaN".equals(plain) || ((Number) plain).doubleValue() > 100,
        "the plain net's scores explode: " + plain);
    assertTrue(num(o, "scale_1_batchnorm_final_loss") < 10);
    assertTrue(Files.isRegularFile(o.dir().resolve("weight-scale.png")));
  }

  @Test
  void helpers() {
    assertArrayEquals(
        new double[] {1e-4, 1e-3, 1e-2, 1e-1, 1},
        BatchNormWeightScaleLab.logspace(-4, 0, 5),
        1e-15);
    assertEquals(0.7, BatchNormWeightScaleLab.best(List.of(0.1, 0.7, 0.4)));
    assertEquals(0.0, BatchNormWeightScaleLab.best(List.of()));
    // The plain net has no BatchNorm: 8 affine layers only carry parameters (W, b each).
    assertEquals(16, BatchNormWeightScaleLab.net(784, 10, 0.1, false, 0).parameters().size());
    assertEquals(30, BatchNormWeightScaleLab.net(784, 10, 0.1, true, 0).parameters().size());
  }
}
