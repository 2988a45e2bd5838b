package org.handgrad.models.linear;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.handgrad.nn.Metrics;
import org.handgrad.tensor.Tensor;

/**
 * Grid search over learning rates x regularization strengths, as in the CS231n SVM and softmax
 * notebooks: every pair trains a fresh classifier with SGD, is scored on the training and the
 * validation set, and the classifier with the best validation accuracy is kept.
 */
public final class HyperparameterSearch {
  private HyperparameterSearch() {}

  /**
   * One grid point.
   *
   * @param learningRate SGD step
   * @param reg regularization strength
   * @param trainAccuracy accuracy on the training set after training
   * @param valAccuracy accuracy on the validation set
   */
  public record Trial(double learningRate, double reg, double trainAccuracy, double valAccuracy) {}

  /**
   * All trials in grid order (learning rate major) and the best one.
   *
   * @param trials every (lr, reg) pair, learning-rate major
   * @param best the trial with the highest validation accuracy (the first one on ties)
   * @param bestModel the classifier trained in {@code best}
   */
  public record Result(List<Trial> trials, Trial best, LinearClassifier bestModel) {
    /** CS231n's {@code best_val}. */
    public double bestValAccuracy() {
      return best.valAccuracy();
    }
  }

  /**
   * Runs the grid.
   *
   * @param factory makes a fresh, untrained classifier per trial
   * @param xTrain training inputs, shape (N, D)
   * @param yTrain training labels, length N
   * @param xVal validation inputs, shape (V, D)
   * @param yVal validation labels, length V
   * @param learningRates candidate learning rates, non-empty
   * @param regs candidate regularization strengths, non-empty
   * @param numIters SGD iterations per trial
   * @param batchSize SGD batch size
   * @param seed seeds the batch sampling (the same for every trial, so trials differ only by their
   *     hyperparameters)
   */
  public static Result run(
      Supplier<? extends LinearClassifier> factory,
      Tensor xTrain,
      int[] yTrain,
      Tensor xVal,
      int[] yVal,
      double[] learningRates,
      double[] regs,
      int numIters,
      int batchSize,
      long seed) {
    if (learningRates.length == 0 || regs.length == 0) {
      throw new IllegalArgumentException(
          "hyperparameter search: need at least one learning rate and one reg, got "
              + learningRates.length
              + " and "
              + regs.length);
    }
    List<Trial> trials = new ArrayList<>();
    Trial best = null;
    LinearClassifier bestModel = null;
    for (double lr : learningRates) {
      for (double reg : regs) {
        LinearClassifier model = factory.get();
        model.train(xTrain, yTrain, lr, reg, numIters, batchSize, seed, false);
        Trial t =
            new Trial(
                lr,
                reg,
                Metrics.accuracy(yTrain, model.predict(xTrain)),
                Metrics.accuracy(yVal, model.predict(xVal)));
        trials.add(t);
        if (best == null || t.valAccuracy() > best.valAccuracy()) {
          best = t;
          bestModel = model;
        }
      }
    }
    return new Result(List.copyOf(trials), best, bestModel);
  }
}
