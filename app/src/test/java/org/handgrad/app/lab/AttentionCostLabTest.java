package org.handgrad.app.lab;

import static org.handgrad.app.lab.LabTesting.num;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.handgrad.kernels.Parallel;
import org.handgrad.nn.functional.Attention;
import org.handgrad.nn.functional.Dropout;
import org.handgrad.nn.init.Init;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The attention-cost lab's quick form: the counted memory scales exactly (S^2 and S), the time
 * loosely (a test machine may be loaded), and its helpers on known inputs.
 */
class AttentionCostLabTest {
  @TempDir Path tmp;

  @Test
  void weightsGrowAsSSquaredAndTheTimeFaster() throws IOException {
    int threads = Parallel.threads();
    LabRunner.Outcome o = LabTesting.runQuick(tmp, "attention-cost", false);
    assertEquals(threads, Parallel.threads(), "the lab restores the thread count");
    int n = AttentionCostLab.N;
    int h = AttentionCostLab.HEADS;
    int e = AttentionCostLab.E;
    for (int s = 16; s <= 512; s *= 2) {
      assertEquals((double) n * h * s * s, num(o, "S" + s + "_attention_values"), "S = " + s);
      assertEquals(4.0 * n * s * e, num(o, "S" + s + "_projection_values"), "S = " + s);
    }
    assertEquals(2.0, num(o, "attention_memory_slope"), 1e-12);
    assertEquals(1.0, num(o, "projection_memory_slope"), 1e-12);
    // Timing, loosely: between S = 256 and 512 the time must grow faster than S (the lab's own
    // check asks for a slope above 1.4; here a loaded machine gets more room), and the S x S part
    // must take a larger share at S = 512 than at S = 16.
    assertTrue(num(o, "time_slope_two_largest") > 1.1, "slope " + num(o, "time_slope_two_largest"));
    assertTrue(num(o, "S512_core_share") > num(o, "S16_core_share"));
    assertTrue(num(o, "S512_ms") > num(o, "S16_ms"));
    assertTrue(Files.isRegularFile(o.dir().resolve("attention-cost.png")));
  }

  @Test
  void countsTheCacheOfOneCall() {
    int n = 2;
    int s = 5;
    int e = 8;
    var rng = Init.rng(1);
    Tensor[] w = new Tensor[8];
    for (int i = 0; i < 8; i += 2) {
      w[i] = Init.normal(rng, DType.FLOAT64, 0.3, e, e);
      w[i + 1] = Tensor.zeros(DType.FLOAT64, e);
    }
    Attention.Projections p =
        new Attention.Projections(w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]);
    Tensor x = Init.normal(rng, DType.FLOAT64, 1, n, s, e);
    AttentionCostLab.Memory m =
        AttentionCostLab.count(
            Attention.multiHeadAttentionForward(x, x, x, p, 2, null, null).cache());
    assertEquals(n * 2 * s * s, m.attention());
    assertEquals(4 * n * s * e, m.projections());
    // With dropout on the weights its mask is kept too: another N*H*S*S values.
    AttentionCostLab.Memory md =
        AttentionCostLab.count(
            Attention.multiHeadAttentionForward(
                    x, x, x, p, 2, null, new Dropout.DropoutParam(0.5, Dropout.Mode.TRAIN, 3))
                .cache());
    assertEquals(2L * n * 2 * s * s, md.attention());
  }

  @Test
  void slopeMedianAndTiming() {
    double[] x = {1, 2, 4, 8};
    double[] y = {3, 6, 24, 96}; // slope 1 then 2
    assertEquals(2.0, AttentionCostLab.logLogSlope(x, y, 2), 1e-12);
    assertEquals(2.0, AttentionCostLab.logLogSlope(x, y, 3), 1e-12);
    // All four: in units of ln 2, x = 0..3 and y - ln 3 = 0, 1, 3, 5: least squares 8.5 / 5.
    assertEquals(1.7, AttentionCostLab.logLogSlope(x, y, 4), 1e-12);
    assertThrows(IllegalArgumentException.class, () -> AttentionCostLab.logLogSlope(x, y, 1));
    assertEquals(2.0, AttentionCostLab.median(new double[] {5, 1, 2}));
    assertEquals(2.5, AttentionCostLab.median(new double[] {4, 1, 3, 2}));
    // A fake clock that advances 3 ms per call of the first job and 7 ms per call of the second.
    long[] now = {0};
    List<AttentionCostLab.Job> jobs = List.of(() -> now[0] += 3_000_000, () -> now[0] += 7_000_000);
    double[] med = AttentionCostLab.medianMillis(jobs, 3, 20, 1, () -> now[0]);
    assertEquals(3.0, med[0], 1e-12);
    assertEquals(7.0, med[1], 1e-12);
  }
}
