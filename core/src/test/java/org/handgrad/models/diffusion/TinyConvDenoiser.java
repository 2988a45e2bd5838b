package org.handgrad.models.diffusion;

import java.util.List;
import java.util.SplittableRandom;
import org.handgrad.nn.Parameter;
import org.handgrad.nn.Sequential;
import org.handgrad.nn.functional.ConvParam;
import org.handgrad.nn.modules.Conv2d;
import org.handgrad.nn.modules.SiLU;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * A small unconditional test denoiser built from existing modules: the time enters as an extra
 * input channel holding t / T, then three 3x3 convolutions (SiLU between) map (N, C + 1, H, W) to
 * (N, C, H, W). Its backward is the Sequential's; the time channel's gradient is dropped.
 */
final class TinyConvDenoiser implements Denoiser {
  private final int channels;
  private final double timeScale;
  private final Sequential net;

  TinyConvDenoiser(int channels, int width, double timeScale, DType dtype, long seed) {
    this.channels = channels;
    this.timeScale = timeScale;
    SplittableRandom rng = new SplittableRandom(seed);
    ConvParam same = new ConvParam(1, 1);
    net =
        new Sequential(
            new Conv2d(channels + 1, width, 3, same, dtype, rng),
            new SiLU(),
            new Conv2d(width, width, 3, same, dtype, rng),
            new SiLU(),
            new Conv2d(width, channels, 3, same, dtype, rng));
  }

  @Override
  public Tensor forward(Tensor x, double[] t, int[] y) {
    int n = x.shape(0);
    Tensor time = Tensor.zeros(x.dtype(), n, 1, x.shape(2), x.shape(3));
    int plane = x.shape(2) * x.shape(3);
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < plane; j++) {
        time.setFlat(i * plane + j, t[i] / timeScale);
      }
    }
    return net.forward(Tensor.concatenate(1, x, time));
  }

  @Override
  public Tensor backward(Tensor dout) {
    return net.backward(dout).slice(1, 0, channels).contiguous();
  }

  @Override
  public List<Parameter> parameters() {
    return net.parameters();
  }

  @Override
  public int numClasses() {
    return 0;
  }
}
