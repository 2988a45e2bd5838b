package org.handgrad.app.report;

import java.util.List;
import java.util.SplittableRandom;
import org.handgrad.nn.Model;
import org.handgrad.nn.Parameter;
import org.handgrad.nn.functional.Affine;
import org.handgrad.nn.functional.Forward;
import org.handgrad.nn.functional.Losses;
import org.handgrad.optim.Solver;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/** A test-only linear softmax classifier on (N, C, H, W) images: scores = x W + b. */
final class SoftmaxModel implements Model {
  final Parameter w;
  final Parameter b;

  SoftmaxModel(int d, int classes, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    Tensor w0 = Tensor.zeros(DType.FLOAT64, d, classes);
    for (int i = 0; i < w0.size(); i++) {
      w0.setFlat(i, 1e-2 * r.nextGaussian());
    }
    this.w = new Parameter("W1", w0);
    this.b = new Parameter("b1", Tensor.zeros(DType.FLOAT64, classes));
  }

  @Override
  public List<Parameter> parameters() {
    return List.of(w, b);
  }

  @Override
  public Tensor loss(Tensor x) {
    return Affine.affineForward(x, w.value(), b.value()).out();
  }

  @Override
  public double loss(Tensor x, int[] y) {
    w.zeroGrad();
    b.zeroGrad();
    Forward<Affine.Cache> f = Affine.affineForward(x, w.value(), b.value());
    Losses.Loss l = Losses.softmaxLoss(f.out(), y);
    Affine.Grads g = Affine.affineBackward(l.dx(), f.cache());
    w.accumulateGrad(g.dw());
    b.accumulateGrad(g.db());
    return l.loss();
  }

  /**
   * Noisy images (N, 3, h, h) of {@code classes} classes: class k brightens a class-specific
   * pattern.
   */
  static Solver.Data images(int nTrain, int nVal, int h, int classes, double noise, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    double[][] patterns = new double[classes][3 * h * h];
    for (double[] p : patterns) {
      for (int i = 0; i < p.length; i++) {
        p[i] = r.nextGaussian();
      }
    }
    Tensor xt = Tensor.zeros(DType.FLOAT64, nTrain, 3, h, h);
    Tensor xv = Tensor.zeros(DType.FLOAT64, nVal, 3, h, h);
    int[] yt = new int[nTrain];
    int[] yv = new int[nVal];
    fill(r, patterns, noise, xt, yt);
    fill(r, patterns, noise, xv, yv);
    return new Solver.Data(xt, yt, xv, yv);
  }

  private static void fill(
      SplittableRandom r, double[][] patterns, double noise, Tensor x, int[] y) {
    int d = patterns[0].length;
    for (int i = 0; i < y.length; i++) {
      y[i] = r.nextInt(patterns.length);
      for (int j = 0; j < d; j++) {
        x.setFlat(i * d + j, patterns[y[i]][j] + noise * r.nextGaussian());
      }
    }
  }
}
