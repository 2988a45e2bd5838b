package org.handgrad.nn.modules;

import org.handgrad.nn.PairModule;
import org.handgrad.nn.Parameter;
import org.handgrad.nn.functional.BatchNormParam;
import org.handgrad.nn.functional.Forward;
import org.handgrad.nn.functional.SpatialBatchNorm;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * Spatial batch normalization of (N, C, H, W) inputs over {@link SpatialBatchNorm}: each channel
 * normalised over (N, H, W); PyTorch's {@code nn.BatchNorm2d}.
 *
 * <p>Parameters {@code weight} (gamma, ones) and {@code bias} (beta, zeros), shape (C,); buffers
 * {@code running_mean}, {@code running_var} (C,) and {@code num_batches_tracked} (int32 scalar),
 * PyTorch's state_dict names. Training mode normalises with the batch statistics and updates the
 * running ones in place; evaluation mode normalises with the running ones (and refuses to run
 * before any exist). The running statistics follow CS231n, not PyTorch: {@code momentum} weighs the
 * OLD value (default 0.9 = PyTorch's 0.1), the running variance is the BIASED batch variance and
 * starts at 0 (docs/conventions.md, "Normalization").
 */
public final class BatchNorm2d extends PairModule<SpatialBatchNorm.Cache> {
  private final Parameter weight;
  private final Parameter bias;
  private final BatchNormParam bnParam;

  /**
   * A layer with CS231n's defaults, eps {@value BatchNormParam#DEFAULT_EPS} and momentum {@value
   * BatchNormParam#DEFAULT_MOMENTUM}.
   *
   * @param numFeatures C, the number of channels
   * @param dtype float32 or float64, of the parameters, buffers and inputs
   */
  public BatchNorm2d(int numFeatures, DType dtype) {
    this(numFeatures, dtype, BatchNormParam.DEFAULT_EPS, BatchNormParam.DEFAULT_MOMENTUM);
  }

  /**
   * A layer with explicit settings.
   *
   * @param numFeatures C, the number of channels
   * @param dtype float32 or float64
   * @param eps added to the variance under the square root, positive
   * @param momentum weight of the OLD running value, in [0, 1] (PyTorch's 1 - momentum)
   */
  public BatchNorm2d(int numFeatures, DType dtype, double eps, double momentum) {
    ModuleArgs.positive("BatchNorm2d", "numFeatures", numFeatures);
    ModuleArgs.floating("BatchNorm2d", dtype);
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

  /** The scale gamma, shape (C,). */
  public Parameter weight() {
    return weight;
  }

  /** The shift beta, shape (C,). */
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
   * @param x input, shape (N, C, H, W), the dtype of the module
   * @return out, shape (N, C, H, W)
   * @throws IllegalStateException in evaluation mode before any running statistics exist
   */
  @Override
  protected Forward<SpatialBatchNorm.Cache> forwardPair(Tensor x) {
    BatchNormParam.Mode mode = isTraining() ? BatchNormParam.Mode.TRAIN : BatchNormParam.Mode.TEST;
    return SpatialBatchNorm.spatialBatchnormForward(
        x, weight.value(), bias.value(), bnParam.withMode(mode));
  }

  /**
   * {@inheritDoc}
   *
   * @param dout shape (N, C, H, W)
   * @return dx, shape (N, C, H, W)
   */
  @Override
  protected Tensor backwardPair(Tensor dout, SpatialBatchNorm.Cache cache) {
    SpatialBatchNorm.Grads g = SpatialBatchNorm.spatialBatchnormBackward(dout, cache);
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
