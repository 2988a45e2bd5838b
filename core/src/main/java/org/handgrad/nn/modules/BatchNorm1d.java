package org.handgrad.nn.modules;

import org.handgrad.nn.PairModule;
import org.handgrad.nn.Parameter;
import org.handgrad.nn.functional.BatchNorm;
import org.handgrad.nn.functional.BatchNormParam;
import org.handgrad.nn.functional.Forward;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * Batch normalization of (N, D) inputs over {@link BatchNorm} (Ioffe and Szegedy 2015): PyTorch's
 * {@code nn.BatchNorm1d} for 2-D inputs ((N, C, L) inputs are not supported). The backward pass is
 * the closed form, {@link BatchNorm#batchnormBackwardAlt}.
 *
 * <p>Parameters {@code weight} (gamma, ones) and {@code bias} (beta, zeros), shape (D,); buffers
 * {@code running_mean}, {@code running_var} (D,) and {@code num_batches_tracked} (int32 scalar),
 * PyTorch's state_dict names. Training mode normalises with the batch statistics and updates the
 * running ones in place; evaluation mode normalises with the running ones (and refuses to run
 * before any exist). The running statistics follow CS231n, not PyTorch: {@code momentum} weighs the
 * OLD value (default 0.9 = PyTorch's 0.1), the running variance is the BIASED batch variance and
 * starts at 0 (docs/conventions.md, "Normalization").
 */
public final class BatchNorm1d extends PairModule<BatchNorm.Cache> {
  private final Parameter weight;
  private final Parameter bias;
  private final BatchNormParam bnParam;

  /**
   * A layer with CS231n's defaults, eps {@value BatchNormParam#DEFAULT_EPS} and momentum {@value
   * BatchNormParam#DEFAULT_MOMENTUM}.
   *
   * @param numFeatures D, the number of features
   * @param dtype float32 or float64, of the parameters, buffers and inputs
   */
  public BatchNorm1d(int numFeatures, DType dtype) {
    this(numFeatures, dtype, BatchNormParam.DEFAULT_EPS, BatchNormParam.DEFAULT_MOMENTUM);
  }

  /**
   * A layer with explicit settings.
   *
   * @param numFeatures D, the number of features
   * @param dtype float32 or float64
   * @param eps added to the variance under the square root, positive
   * @param momentum weight of the OLD running value, in [0, 1] (PyTorch's 1 - momentum)
   */
  public BatchNorm1d(int numFeatures, DType dtype, double eps, double momentum) {
    ModuleArgs.positive("BatchNorm1d", "numFeatures", numFeatures);
    ModuleArgs.floating("BatchNorm1d", dtype);
    BatchNormParam p = BatchNormParam.create(dtype, numFeatures);
    this.bnParam =
        new BatchNormParam(
            BatchNormParam.Mode.TRAIN,
            eps,
            momentum,
            p.runningMean(),
            p.runningVar(),
            p.numBatchesTracked());
    this.weight = registerParameter("weight", Tensor.ones(dtype, numFeatures));
    this.bias = registerParameter("bias", Tensor.zeros(dtype, numFeatures));
    registerBuffer("running_mean", bnParam.runningMean());
    registerBuffer("running_var", bnParam.runningVar());
    registerBuffer("num_batches_tracked", bnParam.numBatchesTracked());
  }

  /** The scale gamma, shape (D,). */
  public Parameter weight() {
    return weight;
  }

  /** The shift beta, shape (D,). */
  public Parameter bias() {
    return bias;
  }

  /**
   * The settings and live running buffers (in TRAIN mode; the module picks the mode per forward);
   * {@link BatchNormParam#loadStatistics} loads statistics, e.g. from a PyTorch checkpoint.
   */
  public BatchNormParam bnParam() {
    return bnParam;
  }

  /**
   * {@inheritDoc}
   *
   * @param x input, shape (N, D), the dtype of the module
   * @return out, shape (N, D)
   * @throws IllegalStateException in evaluation mode before any running statistics exist
   */
  @Override
  protected Forward<BatchNorm.Cache> forwardPair(Tensor x) {
    BatchNormParam.Mode mode = isTraining() ? BatchNormParam.Mode.TRAIN : BatchNormParam.Mode.TEST;
    return BatchNorm.batchnormForward(x, weight.value(), bias.value(), bnParam.withMode(mode));
  }

  /**
   * {@inheritDoc}
   *
   * @param dout shape (N, D)
   * @return dx, shape (N, D)
   */
  @Override
  protected Tensor backwardPair(Tensor dout, BatchNorm.Cache cache) {
    BatchNorm.Grads g = BatchNorm.batchnormBackwardAlt(dout, cache);
    weight.accumulateGrad(g.dgamma());
    bias.accumulateGrad(g.dbeta());
    return g.dx();
  }

  @Override
  protected String extraRepr() {
    return bnParam.features()
        + ", eps="
        + bnParam.eps()
        + ", momentum="
        + bnParam.momentum()
        + ", "
        + weight.dtype().numpyName();
  }
}
