package org.handgrad.app.report;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.handgrad.nn.Metrics;
import org.handgrad.nn.Parameter;
import org.handgrad.optim.Solver;
import org.handgrad.tensor.Tensor;

/**
 * Writes the plots of a trained {@link Solver} into a {@link RunDirectory}: {@code loss.png},
 * {@code accuracy.png}, {@code weights.png} (first-layer weights) and {@code confusion.png}
 * (validation set).
 *
 * <pre>{@code
 * RunDirectory run = RunDirectory.create(Path.of("runs"), "two-layer-cifar10");
 * run.writeConfig(Map.of("model", modelConfig, "solver", options.toMap()));
 * try (MetricsLog log = new MetricsLog(run.metricsFile(), options.printEvery())) {
 *   solver.addListener(log).train();
 * }
 * RunReport.write(run, solver, "W1", new int[] {3, 32, 32}, CIFAR10_CLASSES);
 * }</pre>
 */
public final class RunReport {
  private RunReport() {}

  /**
   * All plots: loss, accuracy (when accuracy was checked), the weights of {@code weightParam} (when
   * given) and the validation confusion matrix.
   *
   * @param weightParam name of the first-layer weight parameter (e.g. "W1"), or null for none
   * @param imageShape (C, H, W) of the inputs, to show 2-d weights as images; null for conv
   * @param classNames names of the classes, or null for numbers
   * @return the files written
   */
  public static List<Path> write(
      RunDirectory run,
      Solver solver,
      String weightParam,
      int[] imageShape,
      List<String> classNames)
      throws IOException {
    List<Path> written = new ArrayList<>(writeTrainingPlots(run, solver));
    if (weightParam != null) {
      written.add(writeWeights(run, parameter(solver, weightParam).value(), imageShape));
    }
    written.add(writeConfusionMatrix(run, solver, classNames));
    return written;
  }

  /** {@code loss.png} and, when accuracy was checked, {@code accuracy.png}. */
  public static List<Path> writeTrainingPlots(RunDirectory run, Solver solver) throws IOException {
    List<Path> written = new ArrayList<>();
    if (!solver.lossHistory().isEmpty()) {
      Path loss = run.file("loss.png");
      Charts.lossCurve(solver.lossHistory(), "Training loss", loss);
      written.add(loss);
    }
    if (!solver.valAccHistory().isEmpty()) {
      Path acc = run.file("accuracy.png");
      Charts.accuracyCurve(
          solver.trainAccHistory(), solver.valAccHistory(), "Classification accuracy", acc);
      written.add(acc);
    }
    return written;
  }

  /**
   * {@code weights.png}: the filters of a first layer.
   *
   * @param weights (F, C, HH, WW) or (D, M); see {@link Figures#weightsGrid}
   */
  public static Path writeWeights(RunDirectory run, Tensor weights, int[] imageShape)
      throws IOException {
    Path png = run.file("weights.png");
    Figures.weightsGrid(weights, imageShape, "First-layer weights", png);
    return png;
  }

  /**
   * {@code confusion.png}: the model's predictions on the Solver's validation set (the model as it
   * is now: after {@code train()}, the best parameters).
   *
   * @param classNames K names; null to number the classes 0 .. K-1 with K from the labels
   */
  public static Path writeConfusionMatrix(RunDirectory run, Solver solver, List<String> classNames)
      throws IOException {
    int[] y = solver.data().yVal();
    int[] pred = solver.predict(solver.data().xVal(), solver.options().batchSize());
    int k = classNames != null ? classNames.size() : 1 + Math.max(max(y), max(pred));
    Tensor counts = Metrics.confusionMatrix(y, pred, k);
    Path png = run.file("confusion.png");
    Figures.confusionMatrix(counts, classNames, "Validation confusion matrix", png);
    return png;
  }

  private static Parameter parameter(Solver solver, String name) {
    List<String> names = new ArrayList<>();
    for (Parameter p : solver.model().parameters()) {
      if (p.name().equals(name)) {
        return p;
      }
      names.add(p.name());
    }
    throw new IllegalArgumentException(
        "run report: no parameter '" + name + "'; the model has " + names);
  }

  private static int max(int[] a) {
    int m = 0;
    for (int v : a) {
      m = Math.max(m, v);
    }
    return m;
  }
}
