package org.handgrad.models.vit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

class AttentionRolloutTest {
  @Test
  void rollsOutHeadAveragedAttentionWithTheResidual() {
    // two heads averaging to A = [[0.5, 0.5], [0.2, 0.8]]; A^ = (A + I) / 2 = [[.75, .25], [.1,
    // .9]]
    Tensor a = Tensor.of(new double[] {0.6, 0.4, 0.3, 0.7, 0.4, 0.6, 0.1, 0.9}, 1, 2, 2, 2);
    // one layer: row 0 of A^ over the patch column
    assertEquals(0.25, AttentionRollout.rollout(List.of(a)).item(), 1e-15);
    // two layers: A^ A^, row 0 = [.75*.75 + .25*.1, .75*.25 + .25*.9] = [.5875, .4125]
    assertEquals(0.4125, AttentionRollout.rollout(List.of(a, a)).item(), 1e-15);
  }

  @Test
  void clsAttentionIsRowZeroOverThePatchesPerHead() {
    Tensor a = Tensor.arange(DType.FLOAT32, 18).reshape(1, 2, 3, 3);
    Tensor c = AttentionRollout.clsAttention(a);
    assertArrayEquals(new int[] {1, 2, 2}, c.shape());
    assertArrayEquals(new double[] {1, 2, 10, 11}, c.toDoubleArray());
  }

  @Test
  void aTrainedShapeGivesOneWeightPerPatch() {
    VisionTransformer vit = new VisionTransformer(VisionTransformer.Config.tiny());
    List<Tensor> maps = vit.attentionMaps(Tensor.zeros(DType.FLOAT32, 2, 1, 28, 28));
    assertEquals(4, maps.size());
    Tensor r = AttentionRollout.rollout(maps);
    assertArrayEquals(new int[] {2, 16}, r.shape());
    assertArrayEquals(new int[] {2, 4, 16}, AttentionRollout.clsAttention(maps.get(3)).shape());
    assertThrows(IllegalArgumentException.class, () -> AttentionRollout.rollout(List.of()));
  }
}
