package org.handgrad.nn.functional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.function.Supplier;
import org.handgrad.kernels.Parallel;
import org.handgrad.tensor.Tensor;

/** Checks that a layer gives bit-identical results whatever the {@link Parallel} thread count. */
final class ThreadCounts {
  private ThreadCounts() {}

  /** Thread counts tried: serial, the usual two, and odd counts that split chunks unevenly. */
  private static final int[] COUNTS = {1, 2, 3, 5};

  /**
   * Runs {@code body} once per thread count and asserts that every tensor it returns equals, bit
   * for bit, the one returned with one thread.
   */
  static void assertSameForAnyThreadCount(Supplier<List<Tensor>> body) {
    int saved = Parallel.threads();
    try {
      List<Tensor> want = null;
      for (int t : COUNTS) {
        Parallel.setThreads(t);
        List<Tensor> got = body.get();
        if (want == null) {
          want = got;
          continue;
        }
        assertEquals(want.size(), got.size());
        for (int i = 0; i < want.size(); i++) {
          assertArrayEquals(
              want.get(i).toDoubleArray(),
              got.get(i).toDoubleArray(),
              "result " + i + " with " + t + " threads differs from 1 thread");
        }
      }
    } finally {
      Parallel.setThreads(saved);
    }
  }
}
