package org.handgrad.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * The Spark context of one command, made on first use: the {@code --master} given, else the master
 * {@code spark-submit} set ({@code spark.master}), else embedded {@code local[*]}, nothing to
 * install. Closing it stops the context when this object made it.
 */
public final class Spark implements AutoCloseable {
  /** The master when none is given: every core of this machine, in this JVM. */
  public static final String DEFAULT_MASTER = "local[*]";

  private JavaSparkContext context;
  private final boolean owned;

  /** Makes its context on first use. */
  public Spark() {
    this.owned = true;
  }

  private Spark(JavaSparkContext context) {
    this.context = context;
    this.owned = false;
  }

  /** Uses a running context and never stops it (tests share one). */
  public static Spark using(JavaSparkContext context) {
    return new Spark(context);
  }

  /**
   * The context, made now if needed.
   *
   * @param master {@code local[2]}, {@code spark://host:7077}, ...; null for the default
   * @throws IllegalArgumentException when a context with another master is already running
   */
  public synchronized JavaSparkContext context(String master) {
    if (context == null) {
      SparkConf conf = new SparkConf().setAppName("handgrad");
      if (master != null) {
        conf.setMaster(master);
      } else if (!conf.contains("spark.master")) {
        conf.setMaster(DEFAULT_MASTER);
      }
      if (conf.get("spark.master").startsWith("local")) {
        // Embedded: no web UI to bind a port for, no console progress bars over ours.
        conf.setIfMissing("spark.ui.enabled", "false");
      } else if (!conf.contains("spark.jars")) {
        // A cluster reached with --master from the launcher: ship handgrad's jar to the executors
        // (spark-submit sets spark.jars itself).
        String[] jars = JavaSparkContext.jarOfClass(Spark.class);
        if (jars.length > 0) {
          conf.setJars(jars);
        }
      }
      conf.setIfMissing("spark.ui.showConsoleProgress", "false");
      context = new JavaSparkContext(conf);
    } else if (master != null && !master.equals(context.master())) {
      throw new IllegalArgumentException(
          "a Spark context on " + context.master() + " is running; cannot switch to " + master);
    }
    return context;
  }

  @Override
  public synchronized void close() {
    if (owned && context != null) {
      context.stop();
      context = null;
    }
  }
}
