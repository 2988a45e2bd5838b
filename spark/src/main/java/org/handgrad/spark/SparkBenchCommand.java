package org.handgrad.spark;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.api.java.JavaSparkContext;
import org.handgrad.app.train.Preprocessing;
import org.handgrad.app.train.RunSpec;
import org.handgrad.app.train.TrainingData;
import org.handgrad.data.SyntheticShapes;
import org.handgrad.io.Json;
import org.handgrad.nn.Model;
import org.handgrad.nn.Parameter;
import org.handgrad.optim.Solver;
import org.handgrad.optim.SolverListener;
import org.handgrad.optim.SolverOptions;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code spark-bench}: training step time of one model locally and data-parallel on Spark with K
 * workers, on generated 1x28x28 images (the Fashion-MNIST shape, offline), plus what a cluster
 * estimate needs: the compute time of one batch's gradient and the bytes a step moves.
 */
@Command(
    name = "spark-bench",
    mixinStandardHelpOptions = true,
    description = "Step time: local Solver vs data-parallel on Spark (median over --steps).")
public final class SparkBenchCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--model", defaultValue = "cnn", description = "Model (default: cnn).")
  String model;

  @Option(names = "--batch-size", defaultValue = "100", description = "Global batch.")
  int batchSize;

  @Option(names = "--steps", defaultValue = "30", description = "Timed steps per setting.")
  int steps;

  @Option(
      names = "--workers",
      split = ",",
      defaultValue = "1,2",
      description = "Worker counts to time.")
  List<Integer> workers;

  @Option(names = "--master", description = "Spark master (default local[*]).")
  String master;

  private final Spark spark;

  /** Makes its Spark context on first use. */
  public SparkBenchCommand() {
    this(new Spark());
  }

  /** Uses the given Spark. */
  public SparkBenchCommand(Spark spark) {
    this.spark = spark;
  }

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    int numTrain = batchSize * (steps + 6);
    SyntheticShapes.Config c = new SyntheticShapes.Config(numTrain + 100, 10, 1, 28, 0);
    TrainingData raw = TrainingData.split(SyntheticShapes.generate(c), numTrain, 100, null);
    Preprocessing pre =
        Preprocessing.fit(Preprocessing.kindFor(model), raw.train().x().to(DType.FLOAT32));
    Map<String, String> args = new LinkedHashMap<>();
    args.put("input_shape", "1,28,28");
    args.put("num_classes", Integer.toString(raw.train().numClasses()));
    args.put("dtype", "float32");
    args.put("seed", "0");
    RunSpec rs =
        new RunSpec(
            model,
            args,
            "shapes",
            "shapes",
            c,
            numTrain,
            100,
            raw.train().classNames(),
            new int[] {1, 28, 28},
            DType.FLOAT32,
            pre,
            null,
            0);
    TrainingData data = raw.prepared(DType.FLOAT32, pre);
    SolverOptions options =
        SolverOptions.builder()
            .batchSize(batchSize)
            .numEpochs(1)
            .verbose(false)
            .model(model, rs.toMap())
            .build();
    Model probe = rs.buildModel();
    long params = 0;
    for (Parameter p : probe.parameters()) {
      params += p.size();
    }
    // The gradient of one batch in this process: the compute a step cannot avoid.
    Tensor x = data.train().x().slice(0, 0, batchSize).copy();
    int[] y = Arrays.copyOf(data.train().y(), batchSize);
    double[] grad = new double[steps];
    for (int i = -5; i < steps; i++) {
      long t0 = System.nanoTime();
      probe.loss(x, y);
      if (i >= 0) {
        grad[i] = (System.nanoTime() - t0) * 1e-6;
      }
    }
    out.printf(
        Locale.ROOT,
        "%s, batch %d, %,d parameters (%.2f MB float32); gradient of one batch in this process:"
            + " %.1f ms (median of %d)%n",
        model,
        batchSize,
        params,
        params * 4 / 1e6,
        median(grad),
        steps);
    out.printf(
        Locale.ROOT,
        "%-22s %12s %14s %14s%n",
        "setting",
        "ms per step",
        "MB to workers",
        "MB from workers");
    out.printf(
        Locale.ROOT,
        "%-22s %12.1f %14s %14s%n",
        "local (no Spark)",
        stepTime(rs, data, options, null),
        "-",
        "-");
    JavaSparkContext sc = spark.context(master);
    for (int k : workers) {
      DataParallelGradients dp = new DataParallelGradients(sc, k, Json.write(rs.toMap()), 0);
      double ms = stepTime(rs, data, options, dp);
      DataParallelGradients.Stats s = dp.stats();
      out.printf(
          Locale.ROOT,
          "%-22s %12.1f %14.2f %14.2f%n",
          "spark " + sc.master() + ", K=" + k,
          ms,
          s.bytesDown() / 1e6 / s.steps(),
          s.bytesUp() / 1e6 / s.steps());
      out.flush();
    }
    return 0;
  }

  /** Median wall time between consecutive steps, after 5 warm-up steps, accuracy checks off. */
  private double stepTime(
      RunSpec rs, TrainingData data, SolverOptions o, DataParallelGradients dp) {
    Solver s =
        new Solver(
            rs.buildModel(),
            new Solver.Data(data.train().x(), data.train().y(), data.val().x(), data.val().y()),
            o);
    if (dp != null) {
      s.gradientComputation(dp);
    }
    List<Long> stamps = new ArrayList<>();
    s.addListener(
        new SolverListener() {
          @Override
          public void iterationDone(Iteration it) {
            stamps.add(System.nanoTime());
            if (stamps.size() == steps + 6) {
              s.requestStop();
            }
          }
        });
    s.train();
    // Step 1 is followed by an accuracy check, so intervals start after step 6.
    double[] d = new double[steps - 1];
    for (int i = 0; i < d.length; i++) {
      d[i] = (stamps.get(i + 7) - stamps.get(i + 6)) * 1e-6;
    }
    return median(d);
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : 0.5 * (s[s.length / 2 - 1] + s[s.length / 2]);
  }
}
