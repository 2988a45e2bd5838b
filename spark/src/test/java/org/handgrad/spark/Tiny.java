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
            null,
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
