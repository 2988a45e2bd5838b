package org.handgrad.models.diffusion;

import java.util.List;
import org.handgrad.nn.Parameter;
import org.handgrad.tensor.Tensor;

/**
 * A network that maps a batch of noisy images, their times and optional class labels to a
 * prediction of the same shape: the noise epsilon, the clean image x0 or v for DDPM, the velocity
 * for rectified flow. Which one is the trainer's choice; the network does not know.
 *
 * <p>The contract is the one the U-Net and the diffusion processes meet at: {@code forward} keeps
 * what {@code backward} needs, and {@code backward} of the most recent forward adds dL/dparam to
 * each parameter's gradient ({@code +=}, as everywhere in handgrad) and returns dL/dx.
 */
public interface Denoiser {
  /**
   * Predicts from noisy images.
   *
   * @param x noisy images, shape (N, C, H, W)
   * @param t times, length N: DDPM step indices 0..T-1, or a flow time scaled by the process
   * @param y class labels, length N, each in [0, numClasses()], where {@code numClasses()} is the
   *     null ("no class") label of classifier-free guidance; {@code null} for an unconditional
   *     model, and also allowed for a conditional one (then every label is the null label)
   * @return the prediction, shape (N, C, H, W)
   */
  Tensor forward(Tensor x, double[] t, int[] y);

  /**
   * Backward of the most recent {@link #forward}: accumulates parameter gradients.
   *
   * @param dout gradient of the loss with respect to the prediction, shape (N, C, H, W)
   * @return gradient with respect to x, shape (N, C, H, W)
   */
  Tensor backward(Tensor dout);

  /** Trainable parameters in a stable order with unique names. */
  List<Parameter> parameters();

  /**
   * Number of real classes for a class-conditional model (the null label is this index), 0 if
   * unconditional.
   */
  int numClasses();
}
