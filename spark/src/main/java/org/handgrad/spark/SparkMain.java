package org.handgrad.spark;

import org.handgrad.app.Main;
import picocli.CommandLine;

/**
 * Entry point of the Spark build of the command line ({@code spark/handgrad-spark}, or {@code
 * spark-submit --class org.handgrad.spark.SparkMain spark/target/handgrad-spark.jar}): every {@code
 * ./handgrad} command, plus {@code sweep}, {@code train --spark} and {@code spark-bench}.
 */
public final class SparkMain {
  private SparkMain() {}

  /** Runs the command line, stops Spark and exits with the command's status. */
  public static void main(String[] args) {
    int code;
    try (Spark spark = new Spark()) {
      code = commandLine(spark).execute(args);
    }
    System.exit(code);
  }

  /** The {@code ./handgrad} command line with {@code sweep} and {@code train --spark} added. */
  public static CommandLine commandLine(Spark spark) {
    CommandLine cl = Main.commandLine();
    cl.addSubcommand("sweep", new SweepCommand(spark));
    cl.addSubcommand("spark-bench", new SparkBenchCommand(spark));
    SparkTrain.install(cl.getSubcommands().get("train"), spark);
    // The short "error: ... see --help" handler of Main, for the new command too.
    cl.setParameterExceptionHandler(cl.getParameterExceptionHandler());
    return cl;
  }
}
