package org.handgrad.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

/** One embedded Spark context for the module's tests (a JVM may run only one at a time). */
final class TestSpark {
  private TestSpark() {}

  private static JavaSparkContext context;

  /** The running context on {@code master}, made (or remade on another master) as needed. */
  static synchronized JavaSparkContext get(String master) {
    if (context != null && !context.master().equals(master)) {
      context.stop();
      context = null;
    }
    if (context == null) {
      context =
          new JavaSparkContext(
              new SparkConf()
                  .setMaster(master)
                  .setAppName("handgrad-test")
                  .set("spark.ui.enabled", "false")
                  .set("spark.ui.showConsoleProgress", "false")
                  .set("spark.driver.host", "127.0.0.1")
                  .set("spark.driver.bindAddress", "127.0.0.1"));
    }
    return context;
  }
}
