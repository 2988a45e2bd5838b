package org.handgrad.nn.functional;

import java.util.Objects;
import org.handgrad.tensor.Tensor;

/**
 * The GAN losses of CS231n's GAN notebook ({@code discriminator_loss}, {@code generator_loss},
 * {@code ls_discriminator_loss}, {@code ls_generator_loss}), each returning the loss and its
 * gradient with respect to the discriminator's logits. Every mean is over all elements of a logits
 * tensor (the notebook's {@code bce_loss} is PyTorch's {@code binary_cross_entropy_with_logits}
 * with {@code reduction='mean'}), so logits may be (N,) or (N, 1).
 *
 * <pre>
 *   bce(s, y)              = mean( max(s, 0) - s y + log(1 + exp(-|s|)) ),  d/ds = (sigmoid(s) - y) / N
 *   discriminator_loss     = bce(real, 1) + bce(fake, 0)                        (Goodfellow et al. 2014)
 *   generator_loss         = bce(fake, 1)     the non-saturating loss: maximize log D(G(z))
 *   ls_discriminator_loss  = mean((real - 1)^2) / 2 + mean(fake^2) / 2         (Mao et al. 2017)
 *   ls_generator_loss      = mean((fake - 1)^2) / 2
 * </pre>
 *
 * <p>The non-saturating generator loss replaces the minimax {@code -bce(fake, 0)}: when the
 * discriminator rejects the fakes confidently (sigmoid(fake) near 0) the minimax gradient
 * sigmoid(s) vanishes, while (sigmoid(s) - 1) stays near -1 (Goodfellow et al. 2014, section 3).
 *
 * <p>Gradients take the dtype of the logits; the sums run in float64.
 */
public final class GanLosses {
  private GanLosses() {}

  /**
   * A discriminator loss and its gradients.
   *
   * @param loss the loss value
   * @param dreal gradient of the logits on real data, the shape of those logits
   * @param dfake gradient of the logits on generated data, the shape of those logits
   */
  public record DiscriminatorLoss(double loss, Tensor dreal, Tensor dfake) {}

  /**
   * CS231n's {@code discriminator_loss}: bce(logitsReal, 1) + bce(logitsFake, 0).
   *
   * @param logitsReal discriminator logits on real images, shape (N,) or (N, 1)
   * @param logitsFake discriminator logits on generated images, shape (M,) or (M, 1)
   * @return the loss and both gradients
   * @throws IllegalArgumentException for empty, non-floating or not (N,) / (N, 1) logits
   */
  public static DiscriminatorLoss discriminatorLoss(Tensor logitsReal, Tensor logitsFake) {
    Losses.Loss real = bce("discriminatorLoss", "logitsReal", logitsReal, 1);
    Losses.Loss fake = bce("discriminatorLoss", "logitsFake", logitsFake, 0);
    return new DiscriminatorLoss(real.loss() + fake.loss(), real.dx(), fake.dx());
  }

  /**
   * CS231n's {@code generator_loss}, the non-saturating loss bce(logitsFake, 1).
   *
   * @param logitsFake discriminator logits on generated images, shape (N,) or (N, 1)
   * @return the loss and dL/dlogitsFake, the shape of logitsFake
   */
  public static Losses.Loss generatorLoss(Tensor logitsFake) {
    return bce("generatorLoss", "logitsFake", logitsFake, 1);
  }

  /**
   * CS231n's {@code ls_discriminator_loss}: mean((scoresReal - 1)^2) / 2 + mean(scoresFake^2) / 2.
   *
   * @param scoresReal discriminator outputs on real images, shape (N,) or (N, 1)
   * @param scoresFake discriminator outputs on generated images, shape (M,) or (M, 1)
   * @return the loss and both gradients
   */
  public static DiscriminatorLoss lsDiscriminatorLoss(Tensor scoresReal, Tensor scoresFake) {
    Losses.Loss real = halfSquared("lsDiscriminatorLoss", "scoresReal", scoresReal, 1);
    Losses.Loss fake = halfSquared("lsDiscriminatorLoss", "scoresFake", scoresFake, 0);
    return new DiscriminatorLoss(real.loss() + fake.loss(), real.dx(), fake.dx());
  }

  /**
   * CS231n's {@code ls_generator_loss}: mean((scoresFake - 1)^2) / 2.
   *
   * @param scoresFake discriminator outputs on generated images, shape (N,) or (N, 1)
   * @return the loss and dL/dscoresFake, the shape of scoresFake
   */
  public static Losses.Loss lsGeneratorLoss(Tensor scoresFake) {
    return halfSquared("lsGeneratorLoss", "scoresFake", scoresFake, 1);
  }

  /** mean(bce(s, target)) over all elements and its gradient. */
  private static Losses.Loss bce(String op, String name, Tensor s, double target) {
    double[] v = checked(op, name, s);
    int n = v.length;
    double loss = 0;
    double[] d = new double[n];
    for (int i = 0; i < n; i++) {
      double e = Math.exp(-Math.abs(v[i])); // stable form, as in SigmoidCrossEntropy
      loss += Math.max(v[i], 0) - v[i] * target + Math.log1p(e);
      double sigmoid = v[i] >= 0 ? 1 / (1 + e) : e / (1 + e);
      d[i] = (sigmoid - target) / n;
    }
    return new Losses.Loss(loss / n, like(d, s));
  }

  /** mean((s - target)^2) / 2 over all elements and its gradient. */
  private static Losses.Loss halfSquared(String op, String name, Tensor s, double target) {
    double[] v = checked(op, name, s);
    int n = v.length;
    double loss = 0;
    double[] d = new double[n];
    for (int i = 0; i < n; i++) {
      double r = v[i] - target;
      loss += r * r;
      d[i] = r / n;
    }
    return new Losses.Loss(loss / (2 * n), like(d, s));
  }

  private static double[] checked(String op, String name, Tensor s) {
    Objects.requireNonNull(s, op + ": " + name + " is null");
    Elementwise.requireFloat(op, name, s);
    boolean column = s.ndim() == 2 && s.shape(1) == 1;
    if (!(s.ndim() == 1 || column) || s.shape(0) == 0) {
      throw new IllegalArgumentException(
          op + ": expected " + name + " (N,) or (N, 1) with N >= 1, got " + s.shapeString());
    }
    return s.toDoubleArray();
  }

  private static Tensor like(double[] d, Tensor s) {
    return Reparameterize.toDtype(Tensor.of(d, s.shape()), s.dtype());
  }
}
