package org.handgrad.spark;

import java.io.PrintWriter;
import java.util.Locale;
import org.apache.spark.api.java.JavaSparkContext;
import org.handgrad.app.TrainCommand;
import org.handgrad.io.Json;
import org.handgrad.optim.Solver;
import org.handgrad.optim.SolverListener;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Adds {@code --spark [--workers K] [--master URL] [--step-retries N]} to {@code train}: with
 * {@code --spark} the Solver's gradients come from {@link DataParallelGradients}; everything else
 * (run folder, checkpoints, plots, {@code --resume}) is the ordinary {@code train}.
 */
final class SparkTrain {
  private SparkTrain() {}

  /** Adds the options to the train command line and hooks its Solver. */
  static void install(CommandLine train, Spark spark) {
    CommandSpec spec = train.getCommandSpec();
    spec.addOption(
        OptionSpec.builder("--spark")
            .arity("0")
            .type(boolean.class)
            .description(
                "Synchronous data-parallel training on Spark: each batch split over --workers"
                    + " barrier tasks, gradients summed in shard order, one update.")
            .build());
    spec.addOption(
        OptionSpec.builder("--workers")
            .paramLabel("K")
            .type(Integer.class)
            .description("With --spark: shards per batch (default: Spark's default parallelism).")
            .build());
    spec.addOption(
        OptionSpec.builder("--master")
            .paramLabel("URL")
            .type(String.class)
            .description("With --spark: the Spark master (default: spark-submit's, else local[*]).")
            .build());
    spec.addOption(
        OptionSpec.builder("--step-retries")
            .paramLabel("N")
            .type(int.class)
            .defaultValue("2")
            .description(
                "With --spark: submit a step whose task failed again up to N times, then stop"
                    + " (default: ${DEFAULT-VALUE}).")
            .build());
    TrainCommand command = train.getCommand();
    command.beforeTraining(solver -> hook(spec, spark, solver));
  }

  private static void hook(CommandSpec spec, Spark spark, Solver solver) {
    boolean on = Boolean.TRUE.equals(spec.findOption("--spark").getValue());
    Integer workers = spec.findOption("--workers").getValue();
    String master = spec.findOption("--master").getValue();
    int retries = spec.findOption("--step-retries").getValue();
    if (!on) {
      if (workers != null || master != null) {
        throw new IllegalArgumentException("--workers and --master need --spark");
      }
      return;
    }
    JavaSparkContext sc = spark.context(master);
    int k = workers != null ? workers : sc.defaultParallelism();
    if (k > solver.options().batchSize()) {
      throw new IllegalArgumentException(
          "--workers " + k + " is more than the batch size " + solver.options().batchSize());
    }
    DataParallelGradients dp =
        new DataParallelGradients(sc, k, Json.write(solver.options().modelConfig()), retries);
    solver.gradientComputation(dp);
    PrintWriter out = spec.commandLine().getOut();
    out.printf(
        Locale.ROOT,
        "data-parallel: %d workers on %s, batch %d split into shards of %d-%d%n",
        k,
        sc.master(),
        solver.options().batchSize(),
        solver.options().batchSize() / k,
        (solver.options().batchSize() + k - 1) / k);
    String buffers = DataParallelGradients.describeBuffers(solver.model());
    if (!buffers.isEmpty()) {
      out.println("data-parallel: " + buffers);
    }
    out.flush();
    solver.addListener(
        new SolverListener() {
          @Override
          public void trainingFinished(Finish finish) {
            DataParallelGradients.Stats s = dp.stats();
            if (s.steps() > 0) {
              out.printf(
                  Locale.ROOT,
                  "data-parallel: %d steps, %.1f ms per gradient step, %.2f MB to and %.2f MB from"
                      + " the workers per step%n",
                  s.steps(),
                  1e3 * s.seconds() / s.steps(),
                  s.bytesDown() / 1e6 / s.steps(),
                  s.bytesUp() / 1e6 / s.steps());
              out.flush();
            }
          }
        });
  }
}
