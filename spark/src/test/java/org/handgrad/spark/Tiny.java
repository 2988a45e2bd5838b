package org.handgrad.spark;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.handgrad.app.train.Preprocessing;
import org.handgrad.app.train.RunSpec;
import org.handgrad.app.train.TrainingData;
import org.handgrad.data.SyntheticShapes;
import org.handgrad.io.Json;
import org.handgrad.nn.Parameter;
import org.handgrad.optim.Solver;
import org.handgrad.optim.SolverOptions;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/** A tiny run on generated shapes, built as {@code train} builds it, for Solver-level tests. */
final class Tiny {
  final RunSpec spec;
  final TrainingData data;
  final SolverOptions options;

  Tiny(String model, DType dtype, int numTrain, int batchSize, int epochs) {
    this(model, dtype, numTrain, batchSize, epochs, "adam", 1e-2);
  }

  Tiny(String model, DType dtype, int numTrain, int batchSize, int epochs, String rule, double lr) {
    this(model, dtype, numTrain, batchSize, epochs, rule, lr, null);
  }

  /**
   * With {@code augment} (or null), as {@code train --augment}; "bn-cnn" is built small (widths
   * 4,8, hidden 16) with dropout keep 0.8, so it has every kind of buffer: BatchNorm statistics,
   * num_batches_tracked and a dropout stream (and the augmentation stream when augmenting).
   */
  Tiny(
      String model,
      DType dtype,
      int numTrain,
      int batchSize,
      int epochs,
      String rule,
      double lr,
      org.handgrad.app.train.AugmentedModel.Recipe augment) {
    int numVal = 40;
    SyntheticShapes.Config c = new SyntheticShapes.Config(numTrain + numVal, 20, 1, 16, 7);
    TrainingData raw = TrainingData.split(SyntheticShapes.generate(c), numTrain, numVal, null);
    Preprocessing pre = Preprocessing.fit(Preprocessing.kindFor(model), raw.train().x().to(dtype));
    Map<String, String> args = new LinkedHashMap<>();
    args.put("input_shape", "1,16,16");
    args.put("num_classes", Integer.toString(raw.train().numClasses()));
    args.put("dtype", dtype.numpyName());
    args.put("seed", "3");
    if (model.equals("cnn")) {
      args.put("num_filters", "8");
      args.put("hidden_dim", "32");
    }
    if (model.equals("bn-cnn")) {
      args.put("widths", "4,8");
      args.put("hidden_dim", "16");
      args.put("dropout", "0.8");
    }
    spec =
        new RunSpec(
            model,
            args,
            "shapes",
            "shapes",
            c,
            numTrain,
            numVal,
            raw.train().classNames(),
            new int[] {1, 16, 16},
            dtype,
            pre,
            augment,
            3);
    data = raw.prepared(dtype, pre);
    options =
        SolverOptions.builder()
            .updateRule(rule, Map.of("learning_rate", lr))
            .batchSize(batchSize)
            .numEpochs(epochs)
            .verbose(false)
            .seed(3)
            .model(model, spec.toMap())
            .build();
  }

  Solver solver() {
    return new Solver(
        spec.buildModel(),
        new Solver.Data(data.train().x(), data.train().y(), data.val().x(), data.val().y()),
        options);
  }

  String specJson() {
    return Json.write(spec.toMap());
  }

  /** The current buffers, copied, by name. */
  static Map<String, Tensor> buffers(Solver s) {
    Map<String, Tensor> m = new LinkedHashMap<>();
    s.model().buffers().forEach((k, v) -> m.put(k, v.copy()));
    return m;
  }

  /** The current (not best) parameters, copied, by name. */
  static Map<String, Tensor> params(Solver s) {
    Map<String, Tensor> m = new LinkedHashMap<>();
    for (Parameter p : s.model().parameters()) {
      m.put(p.name(), p.value().copy());
    }
    return m;
  }

  /** Runs every step without the end-of-training restore of the best parameters. */
  static void steps(Solver s, int n) {
    s.addListener(
        new org.handgrad.optim.SolverListener() {
          private int done;

          @Override
          public void iterationDone(Iteration it) {
            if (++done == n) {
              s.requestStop();
            }
          }
        });
    s.train();
  }

  static List<String> names(Map<String, Tensor> m) {
    return List.copyOf(m.keySet());
  }
}
