package org.handgrad.nn.functional;

import java.util.Objects;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * Settings and buffers of a batch normalization layer (CS231n's {@code bn_param}), shared by {@link
 * BatchNorm} and {@link SpatialBatchNorm}. It is the module's buffer holder: TRAIN-mode forwards
 * update the running statistics <em>in place</em>, so a module keeps one instance's buffers and
 * switches mode with {@link #withMode}, which shares them.
 *
 * <p>Its settings alone are a {@link NormParam}, the record every norm pair accepts: {@code
 * BatchNormParam.create(dtype, D, NormParam.defaults().withEps(1e-3))} instead of the six-argument
 * constructor; {@link #withEps} and {@link #withMomentum} change one setting and keep the buffers.
 *
 * <p>Conventions (docs/conventions.md, "Normalization"): CS231n's, not PyTorch's. {@code momentum}
 * weighs the OLD value, {@code running = momentum * running + (1 - momentum) * batch}, default 0.9
 * (PyTorch's momentum=0.1 is the same update); the running variance accumulates the BIASED batch
 * variance, the one used to normalise (PyTorch accumulates the unbiased one, N/(N-1) larger); the
 * buffers start at zero (PyTorch starts the variance at one). The buffers mirror PyTorch's
 * state_dict names, so checkpoints map one to one.
 *
 * @param mode TRAIN normalises with batch statistics and updates the running ones; TEST normalises
 *     with the running statistics
 * @param eps added to the variance under the square root; positive (default 1e-5)
 * @param momentum weight of the old running value, in [0, 1] (default 0.9)
 * @param runningMean running mean, shape (D,), float32 or float64 like the layer input
 * @param runningVar running biased variance, shape (D,), same dtype as runningMean
 * @param numBatchesTracked int32 counter, shape (), of TRAIN steps (PyTorch's num_batches_tracked);
 *     zero means there are no statistics yet and TEST mode refuses to run
 */
public record BatchNormParam(
    Mode mode,
    double eps,
    double momentum,
    Tensor runningMean,
    Tensor runningVar,
    Tensor numBatchesTracked) {

  /** Which statistics the forward pass normalises with. */
  public enum Mode {
    /** Batch statistics; running statistics are updated. */
    TRAIN,
    /** Running statistics; nothing is updated. */
    TEST
  }

  /** CS231n's and PyTorch's default epsilon. */
  public static final double DEFAULT_EPS = 1e-5;

  /** CS231n's default momentum (weight of the old running value). */
  public static final double DEFAULT_MOMENTUM = 0.9;

  /** Validates settings and buffer shapes. */
  public BatchNormParam {
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(runningMean, "runningMean");
    Objects.requireNonNull(runningVar, "runningVar");
    Objects.requireNonNull(numBatchesTracked, "numBatchesTracked");
    if (!(eps > 0) || Double.isInfinite(eps)) {
      throw new IllegalArgumentException("BatchNormParam: eps must be positive, got " + eps);
    }
    if (!(momentum >= 0 && momentum <= 1)) {
      throw new IllegalArgumentException(
          "BatchNormParam: momentum must be in [0, 1] (weight of the old running value), got "
              + momentum);
    }
    if (runningMean.ndim() != 1 || !runningMean.sameShape(runningVar)) {
      throw new IllegalArgumentException(
          "BatchNormParam: expected runningMean and runningVar of shape (D,), got "
              + runningMean.shapeString()
              + " and "
              + runningVar.shapeString());
    }
    if (!runningMean.dtype().isFloating() || runningMean.dtype() != runningVar.dtype()) {
      throw new IllegalArgumentException(
          "BatchNormParam: runningMean and runningVar must share a float dtype, got "
              + runningMean.dtype().numpyName()
              + " and "
              + runningVar.dtype().numpyName());
    }
    if (numBatchesTracked.dtype() != DType.INT32 || numBatchesTracked.size() != 1) {
      throw new IllegalArgumentException(
          "BatchNormParam: numBatchesTracked must be an int32 scalar, got " + numBatchesTracked);
    }
  }

  /**
   * A TRAIN-mode parameter with CS231n defaults (eps 1e-5, momentum 0.9) and fresh zero buffers.
   *
   * @param dtype dtype of the layer input (and so of the buffers)
   * @param d number of features (D) or channels (C)
   */
  public static BatchNormParam create(DType dtype, int d) {
    if (!dtype.isFloating()) {
      throw new IllegalArgumentException("BatchNormParam: dtype must be float32 or float64");
    }
    return new BatchNormParam(
        Mode.TRAIN,
        DEFAULT_EPS,
        DEFAULT_MOMENTUM,
        Tensor.zeros(dtype, d),
        Tensor.zeros(dtype, d),
        Tensor.scalar(DType.INT32, 0));
  }

  /**
   * A parameter with the given settings (mode, eps, momentum) and fresh zero buffers: CS231n's
   * {@code bn_param = {'mode': 'train', 'eps': eps, 'momentum': momentum}} before the first call
   * adds the running statistics.
   *
   * @param dtype dtype of the layer input (and so of the buffers)
   * @param d number of features (D) or channels (C)
   * @param settings mode, eps and momentum (e.g. {@code NormParam.defaults().withEps(1e-3)})
   */
  public static BatchNormParam create(DType dtype, int d, NormParam settings) {
    Objects.requireNonNull(settings, "settings");
    BatchNormParam p = create(dtype, d);
    return new BatchNormParam(
        settings.mode(),
        settings.eps(),
        settings.momentum(),
        p.runningMean,
        p.runningVar,
        p.numBatchesTracked);
  }

  /** The settings without the buffers, as the other norm pairs take them. */
  public NormParam settings() {
    return new NormParam(mode, eps, momentum);
  }

  /** The same settings with another eps, and the SAME buffers (not copies). */
  public BatchNormParam withEps(double newEps) {
    return new BatchNormParam(mode, newEps, momentum, runningMean, runningVar, numBatchesTracked);
  }

  /** The same settings with another momentum, and the SAME buffers (not copies). */
  public BatchNormParam withMomentum(double newMomentum) {
    return new BatchNormParam(mode, eps, newMomentum, runningMean, runningVar, numBatchesTracked);
  }

  /** The same settings and the SAME buffers (not copies) in another mode. */
  public BatchNormParam withMode(Mode newMode) {
    return new BatchNormParam(newMode, eps, momentum, runningMean, runningVar, numBatchesTracked);
  }

  /** Number of features D (the length of the running buffers). */
  public int features() {
    return runningMean.shape(0);
  }

  /** True once a TRAIN step ran or statistics were loaded: TEST mode is then meaningful. */
  public boolean hasStatistics() {
    return numBatchesTracked.item() > 0;
  }

  /**
   * Copies statistics into the running buffers (e.g. from a checkpoint) and marks them present.
   *
   * @param mean running mean, shape (D,)
   * @param var running biased variance, shape (D,); negative values are rejected
   */
  public void loadStatistics(Tensor mean, Tensor var) {
    if (!mean.sameShape(runningMean) || !var.sameShape(runningVar)) {
      throw new IllegalArgumentException(
          "BatchNormParam.loadStatistics: expected mean and var of shape "
              + runningMean.shapeString()
              + ", got "
              + mean.shapeString()
              + " and "
              + var.shapeString());
    }
    for (int j = 0; j < features(); j++) {
      if (!(var.getFlat(j) >= 0)) {
        throw new IllegalArgumentException(
            "BatchNormParam.loadStatistics: var[" + j + "] = " + var.getFlat(j) + " is not >= 0");
      }
    }
    for (int j = 0; j < features(); j++) {
      runningMean.setFlat(j, mean.getFlat(j));
      runningVar.setFlat(j, var.getFlat(j));
    }
    numBatchesTracked.setFlat(0, Math.max(1, numBatchesTracked.item()));
  }

  /**
   * One TRAIN step's in-place update of the buffers with the batch statistics.
   *
   * @param mean batch mean, D values
   * @param var batch biased variance, D values
   */
  void update(double[] mean, double[] var) {
    for (int j = 0; j < mean.length; j++) {
      runningMean.setFlat(j, momentum * runningMean.getFlat(j) + (1 - momentum) * mean[j]);
      runningVar.setFlat(j, momentum * runningVar.getFlat(j) + (1 - momentum) * var[j]);
    }
    numBatchesTracked.setFlat(0, numBatchesTracked.item() + 1);
  }
}
