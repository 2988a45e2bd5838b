package org.handgrad.models.diffusion;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.handgrad.nn.Parameter;
import org.handgrad.optim.Adam;
import org.handgrad.optim.Optimizer;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Rng;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * End to end on a toy 2-mode dataset: 1 x 4 x 4 images that are a +-0.8 checkerboard or its
 * negative, with equal probability. Training a small conv denoiser ({@link TinyConvDenoiser}) with
 * the eps loss (and, separately, the flow loss) must lower the loss well below where it starts.
 */
class DdpmTrainingTest {
  private static final int STEPS = 150;
  private static final int BATCH = 16;

  private static Tensor batch(Rng rng) {
    Tensor x = Tensor.zeros(DType.FLOAT32, BATCH, 1, 4, 4);
    for (int n = 0; n < BATCH; n++) {
      double sign = rng.nextBoolean(0.5) ? 0.8 : -0.8;
      for (int i = 0; i < 4; i++) {
        for (int j = 0; j < 4; j++) {
          x.set((i + j) % 2 == 0 ? sign : -sign, n, 0, i, j);
        }
      }
    }
    return x;
  }

  /** Trains and returns the mean loss of the first and of the last 30 steps. */
  private static double[] train(boolean flow) {
    GaussianDiffusion ddpm = new GaussianDiffusion(new BetaSchedule.Cosine(), 100);
    RectifiedFlow rf = new RectifiedFlow(100);
    TinyConvDenoiser model = new TinyConvDenoiser(1, 16, 100, DType.FLOAT32, 7);
    Optimizer opt = new Optimizer(new Adam(3e-3, 0.9, 0.999, 1e-8));
    Rng rng = new Rng(11);
    double first = 0;
    double last = 0;
    for (int step = 0; step < STEPS; step++) {
      for (Parameter p : model.parameters()) {
        p.zeroGrad();
      }
      Tensor x0 = batch(rng);
      double loss =
          flow
              ? rf.trainingLoss(model, x0, null, 0, rng).value()
              : ddpm.trainingLoss(model, x0, null, 0, rng).value();
      opt.step(model.parameters());
      if (step < 30) {
        first += loss / 30;
      } else if (step >= STEPS - 30) {
        last += loss / 30;
      }
    }
    return new double[] {first, last};
  }

  @Test
  void ddpmTrainingLowersTheEpsilonLoss() {
    double[] l = train(false);
    assertTrue(l[1] < 0.6 * l[0], "loss " + l[0] + " -> " + l[1]);
  }

  @Test
  void flowTrainingLowersTheVelocityLoss() {
    double[] l = train(true);
    assertTrue(l[1] < 0.6 * l[0], "loss " + l[0] + " -> " + l[1]);
  }
}
