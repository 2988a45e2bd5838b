package org.handgrad.app.lab;

import static org.handgrad.app.lab.LabTesting.num;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The norm-batch-size lab's quick form: BatchNorm suffers at batch 2, LayerNorm and GroupNorm less.
 */
class NormBatchSizeLabTest {
  @TempDir Path tmp;

  @Test
  void batchNormLosesMostAtBatchTwo() throws IOException {
    LabRunner.Outcome o = LabTesting.runQuick(tmp, "norm-batch-size", true);
    assertTrue(num(o, "batchnorm_drop_at_b2") > num(o, "groupnorm_drop_at_b2"));
    assertTrue(num(o, "batchnorm_drop_at_b2") > num(o, "layernorm_drop_at_b2"));
    assertTrue(num(o, "groupnorm_b2_val_acc") > num(o, "batchnorm_b2_val_acc"));
  }

  @Test
  void vectorGroupNormNamesTheShapeItNeeds() {
    NormBatchSizeLab.VectorGroupNorm gn = new NormBatchSizeLab.VectorGroupNorm(4, 8);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> gn.forward(org.handgrad.tensor.Tensor.zeros(2, 8, 3)));
    assertTrue(
        e.getMessage().contains("(N, D)") && e.getMessage().contains("(2, 8, 3)"), e.getMessage());
  }
}
