package org.handgrad.app;

/**
 * Competing CPU-bound threads for {@code bench --busy N}: they stand in for another process on the
 * machine (a training run, a build) so a benchmark can show how the kernels behave when they do not
 * have the cores to themselves. Each thread runs a dependent floating-point chain, no memory
 * traffic, until the JVM exits (daemon threads). Compare {@code --threads 1} with {@code --threads
 * 2} under the same {@code --busy}: a threaded kernel should not be slower than its one-thread run.
 */
final class BusyThreads {
  /** Keeps the busy loops' result observable, so the JIT cannot remove them. */
  static volatile double sink;

  private BusyThreads() {}

  /**
   * Starts {@code count} busy daemon threads.
   *
   * @param count threads to start, at least 0
   * @throws IllegalArgumentException if count is negative
   */
  static void start(int count) {
    if (count < 0) {
      throw new IllegalArgumentException("bench: --busy must be >= 0, got " + count);
    }
    for (int i = 0; i < count; i++) {
      Thread t =
          new Thread(
              () -> {
                double x = 1.0;
                while (true) {
                  for (int j = 0; j < 1_000_000; j++) {
                    x = x * 1.0000001 + 1e-9;
                  }
                  sink = x;
                }
              },
              "bench-busy-" + i);
      t.setDaemon(true);
      t.start();
    }
  }
}
