package org.handgrad.optim;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.handgrad.nn.Model;
import org.handgrad.nn.Parameter;
import org.handgrad.nn.functional.Activations;
import org.handgrad.nn.functional.Affine;
import org.handgrad.nn.functional.Forward;
import org.handgrad.nn.functional.Losses;
import org.handgrad.nn.init.Init;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * A test-only two-layer net, affine - relu - affine - softmax, with L2 regularization {@code 0.5 *
 * reg * (|W1|^2 + |W2|^2)} (CS231n's TwoLayerNet), implementing {@link Model} for the Solver tests.
 *
 * <p>It also keeps one buffer, {@code hidden_mean} (H,), a running mean of the hidden activations
 * updated in train mode like BatchNorm's running mean, so the tests see buffers saved, restored and
 * kept with the best parameters.
 */
final class TinyNet implements Model {
  private final Parameter w1;
  private final Parameter b1;
  private final Parameter w2;
  private final Parameter b2;
  private final Tensor hiddenMean;
  private final double reg;

  /**
   * @param d input features D
   * @param h hidden units H
   * @param c classes C
   * @param seed initialization seed
   */
  TinyNet(DType dtype, int d, int h, int c, double reg, double weightScale, long seed) {
    var rng = Init.rng(seed);
    this.w1 = new Parameter("W1", Init.normal(rng, dtype, weightScale, d, h));
    this.b1 = new Parameter("b1", Tensor.zeros(dtype, h));
    this.w2 = new Parameter("W2", Init.normal(rng, dtype, weightScale, h, c));
    this.b2 = new Parameter("b2", Tensor.zeros(dtype, c));
    this.hiddenMean = Tensor.zeros(dtype, h);
    this.reg = reg;
  }

  @Override
  public List<Parameter> parameters() {
    return List.of(w1, b1, w2, b2);
  }

  @Override
  public Map<String, Tensor> buffers() {
    return Map.of("hidden_mean", hiddenMean);
  }

  @Override
  public Tensor loss(Tensor x) {
    var h = Affine.affineForward(x, w1.value(), b1.value());
    var r = Activations.reluForward(h.out());
    return Affine.affineForward(r.out(), w2.value(), b2.value()).out();
  }

  @Override
  public double loss(Tensor x, int[] y) {
    parameters().forEach(Parameter::zeroGrad);
    Forward<Affine.Cache> h = Affine.affineForward(x, w1.value(), b1.value());
    Forward<Activations.ReluCache> r = Activations.reluForward(h.out());
    Forward<Affine.Cache> s = Affine.affineForward(r.out(), w2.value(), b2.value());
    updateHiddenMean(r.out());
    Losses.Loss data = Losses.softmaxLoss(s.out(), y);

    Affine.Grads g2 = Affine.affineBackward(data.dx(), s.cache());
    Tensor dh = Activations.reluBackward(g2.dx(), r.cache());
    Affine.Grads g1 = Affine.affineBackward(dh, h.cache());
    w1.accumulateGrad(g1.dw());
    b1.accumulateGrad(g1.db());
    w2.accumulateGrad(g2.dw());
    b2.accumulateGrad(g2.db());
    // d/dW (0.5 * reg * sum W^2) = reg * W
    double regLoss = 0;
    for (Parameter w : List.of(w1, w2)) {
      Tensor dw = Tensor.zerosLike(w.value());
      for (int i = 0; i < w.size(); i++) {
        double v = w.value().getFlat(i);
        regLoss += 0.5 * reg * v * v;
        dw.setFlat(i, reg * v);
      }
      w.accumulateGrad(dw);
    }
    return data.loss() + regLoss;
  }

  private void updateHiddenMean(Tensor hidden) {
    int n = hidden.shape(0);
    int h = hidden.shape(1);
    for (int j = 0; j < h; j++) {
      double mean = 0;
      for (int i = 0; i < n; i++) {
        mean += hidden.get(i, j);
      }
      hiddenMean.setFlat(j, 0.9 * hiddenMean.getFlat(j) + 0.1 * mean / n);
    }
  }

  /** Three Gaussian blobs in D dimensions, labels 0..2; the same seed gives the same data. */
  static Solver.Data blobs(DType dtype, int nTrain, int nVal, int d, double spread, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    double[][] centers = new double[3][d];
    for (double[] c : centers) {
      for (int j = 0; j < d; j++) {
        c[j] = r.nextGaussian() * 2;
      }
    }
    Tensor xt = Tensor.zeros(dtype, nTrain, d);
    Tensor xv = Tensor.zeros(dtype, nVal, d);
    int[] yt = new int[nTrain];
    int[] yv = new int[nVal];
    fill(r, centers, spread, xt, yt);
    fill(r, centers, spread, xv, yv);
    return new Solver.Data(xt, yt, xv, yv);
  }

  private static void fill(
      SplittableRandom r, double[][] centers, double spread, Tensor x, int[] y) {
    int d = x.shape(1);
    for (int i = 0; i < y.length; i++) {
      y[i] = r.nextInt(3);
      for (int j = 0; j < d; j++) {
        x.set(centers[y[i]][j] + spread * r.nextGaussian(), i, j);
      }
    }
  }
}
