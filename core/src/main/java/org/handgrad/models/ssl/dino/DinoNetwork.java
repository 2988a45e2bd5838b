package org.handgrad.models.ssl.dino;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.handgrad.models.vit.VisionTransformer;
import org.handgrad.nn.NoGrad;
import org.handgrad.nn.Parameter;
import org.handgrad.nn.graph.Tape;
import org.handgrad.nn.graph.TapeModule;
import org.handgrad.nn.graph.Var;
import org.handgrad.tensor.Tensor;

/**
 * One DINO network, student or teacher: a {@link VisionTransformer} backbone whose CLS feature
 * feeds a {@link DinoHead}. Children {@code backbone} and {@code head}. The backbone's own
 * classification head ({@code backbone.head.*}) is not used; {@link #trainable} leaves it out so no
 * optimizer touches it.
 *
 * <p>Dimension letters: N images, C H W image, D features, K outputs.
 */
public final class DinoNetwork extends TapeModule {
  private final VisionTransformer backbone;
  private final DinoHead head;

  /**
   * A network from a backbone and a head.
   *
   * @param backbone the ViT; images of any size whose sides are divisible by its patch
   * @param head its input size must be the backbone's dim
   */
  public DinoNetwork(VisionTransformer backbone, DinoHead head) {
    this.backbone = registerModule("backbone", Objects.requireNonNull(backbone, "backbone"));
    this.head = registerModule("head", Objects.requireNonNull(head, "head"));
  }

  /** The ViT. */
  public VisionTransformer backbone() {
    return backbone;
  }

  /** The projection head. */
  public DinoHead head() {
    return head;
  }

  /**
   * Records the forward pass.
   *
   * @param x images, shape (N, C, H', W')
   * @return head outputs, shape (N, K)
   */
  @Override
  public Var forward(Tape tape, Var x) {
    return tape.module(head, backbone.features(tape, x));
  }

  /**
   * Head outputs under {@link NoGrad}, nothing kept for a backward (the teacher's pass).
   *
   * @param x images, shape (N, C, H', W')
   * @return shape (N, K)
   */
  public Tensor outputs(Tensor x) {
    return NoGrad.get(
        () -> {
          Tape tape = new Tape();
          return forward(tape, tape.constant(x)).value();
        });
  }

  /** The parameters DINO trains: all but the backbone's unused classification head. */
  public List<Parameter> trainable() {
    List<Parameter> out = new ArrayList<>();
    for (Parameter p : parameters()) {
      if (!p.name().startsWith("backbone.head.")) {
        out.add(p);
      }
    }
    return out;
  }
}
