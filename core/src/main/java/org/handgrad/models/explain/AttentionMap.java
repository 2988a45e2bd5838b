package org.handgrad.models.explain;

import java.util.List;
import org.handgrad.models.vit.AttentionRollout;
import org.handgrad.models.vit.VisionTransformer;
import org.handgrad.tensor.Tensor;

/**
 * The Vision Transformer's counterpart of a class activation map: the attention rollout of {@link
 * AttentionRollout} (Abnar and Zuidema 2020), the class token's attention flow over the patches,
 * laid out on the patch grid and upsampled to the image like a Grad-CAM map. It is not
 * class-specific: it shows where the model looks, not for which class.
 */
public final class AttentionMap {
  private AttentionMap() {}

  /**
   * The rollout as an image-sized map.
   *
   * @param vit the model (run in evaluation mode)
   * @param x images, shape (N, C, H, W)
   * @return shape (N, H, W), float64: the rollout over the (H/p, W/p) patches, upsampled bilinearly
   */
  public static Tensor rollout(VisionTransformer vit, Tensor x) {
    Saliency.checkImages("attention rollout", x);
    List<Tensor> maps = vit.attentionMaps(x);
    Tensor r = AttentionRollout.rollout(maps); // (N, L)
    int p = vit.config().patch();
    int gh = x.shape(2) / p;
    int gw = x.shape(3) / p;
    return GradCam.upsample(r.reshape(x.shape(0), gh, gw), x.shape(2), x.shape(3));
  }
}
