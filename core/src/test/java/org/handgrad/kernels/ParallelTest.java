package org.handgrad.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ParallelTest {
  private final int savedThreads = Parallel.threads();

  @AfterEach
  void restore() {
    Parallel.setThreads(savedThreads);
  }

  @Test
  void everyChunkRunsExactlyOnce() {
    for (int threads : new int[] {1, 2, 3, 8}) {
      Parallel.setThreads(threads);
      for (int chunks : new int[] {0, 1, 2, 5, 64, 1000}) {
        AtomicIntegerArray count = new AtomicIntegerArray(chunks);
        Parallel.forChunks(chunks, c -> count.incrementAndGet(c));
        for (int c = 0; c < chunks; c++) {
          assertEquals(1, count.get(c), "chunk " + c + " of " + chunks + ", threads " + threads);
        }
      }
    }
  }

  @Test
  void forRangeCutsFixedChunksWhateverTheThreadCount() {
    int n = 1003;
    int grain = 64;
    for (int threads : new int[] {1, 2, 5}) {
      Parallel.setThreads(threads);
      int[] owner = new int[n];
      int[] starts = new int[(n + grain - 1) / grain];
      Parallel.forRange(
          n,
          grain,
          (start, end) -> {
            starts[start / grain] = start;
            assertEquals(Math.min(n, start + grain), end);
            for (int i = start; i < end; i++) {
              owner[i]++;
            }
          });
      for (int i = 0; i < n; i++) {
        assertEquals(1, owner[i], "index " + i);
      }
      for (int c = 0; c < starts.length; c++) {
        assertEquals(c * grain, starts[c]);
      }
    }
  }

  @Test
  void chunkedReductionIsIndependentOfTheThreadCount() {
    double[] x = new double[100_000];
    for (int i = 0; i < x.length; i++) {
      x[i] = Math.sin(i) * 1e3 + 1e-3 * i; // mixed magnitudes: summation order would show
    }
    double[] sums = new double[8];
    for (int t = 1; t <= 8; t++) {
      Parallel.setThreads(t);
      int grain = 4096;
      double[] partial = new double[(x.length + grain - 1) / grain];
      Parallel.forRange(
          x.length,
          grain,
          (start, end) -> {
            double s = 0;
            for (int i = start; i < end; i++) {
              s += x[i];
            }
            partial[start / grain] = s;
          });
      double total = 0;
      for (double p : partial) {
        total += p;
      }
      sums[t - 1] = total;
    }
    double[] same = new double[8];
    java.util.Arrays.fill(same, sums[0]);
    assertArrayEquals(same, sums);
  }

  @Test
  void usesMoreThanOneThreadWhenAllowed() {
    Parallel.setThreads(2);
    Set<Thread> seen = ConcurrentHashMap.newKeySet();
    // Each chunk waits until a second thread has shown up (the pool thread claims the other
    // chunk), with a timeout far above any scheduling delay, even on a loaded machine.
    long deadline = System.nanoTime() + 20_000_000_000L;
    Parallel.forChunks(
        2,
        c -> {
          seen.add(Thread.currentThread());
          while (seen.size() < 2 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
          }
        });
    assertEquals(2, seen.size());
  }

  @Test
  void nestedCallsRunInlineOnTheCurrentThread() {
    Parallel.setThreads(4);
    int outer = 8;
    int inner = 10;
    AtomicIntegerArray count = new AtomicIntegerArray(outer * inner);
    Parallel.forChunks(
        outer,
        o -> {
          Thread me = Thread.currentThread();
          Parallel.forChunks(
              inner,
              i -> {
                assertSame(me, Thread.currentThread());
                count.incrementAndGet(o * inner + i);
              });
        });
    for (int i = 0; i < outer * inner; i++) {
      assertEquals(1, count.get(i));
    }
  }

  @Test
  void exceptionsReachTheCaller() {
    Parallel.setThreads(3);
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () ->
                Parallel.forChunks(
                    100,
                    c -> {
                      if (c == 37) {
                        throw new IllegalStateException("chunk 37");
                      }
                    }));
    assertEquals("chunk 37", e.getMessage());
    // The pool is still usable afterwards.
    AtomicIntegerArray count = new AtomicIntegerArray(10);
    Parallel.forChunks(10, count::incrementAndGet);
    for (int c = 0; c < 10; c++) {
      assertEquals(1, count.get(c));
    }
  }

  @Test
  void concurrentCallersFromOutsideThePoolBothComplete() throws InterruptedException {
    Parallel.setThreads(2);
    int n = 200;
    long[][] results = new long[4][n];
    Thread[] callers = new Thread[4];
    for (int t = 0; t < callers.length; t++) {
      int id = t;
      callers[t] =
          new Thread(
              () -> {
                for (int rep = 0; rep < 50; rep++) {
                  Parallel.forChunks(n, c -> results[id][c] += c);
                }
              });
      callers[t].start();
    }
    for (Thread t : callers) {
      t.join();
    }
    for (long[] r : results) {
      for (int c = 0; c < n; c++) {
        assertEquals(50L * c, r[c]);
      }
    }
  }

  @Test
  void smallWorkStaysOnTheCallingThreadInChunkOrder() {
    Parallel.setThreads(4);
    Thread caller = Thread.currentThread();
    List<Integer> order = new ArrayList<>();
    Parallel.forRange(
        1003,
        64,
        Parallel.MIN_PARALLEL_WORK - 1,
        (start, end) -> {
          assertSame(caller, Thread.currentThread());
          assertEquals(Math.min(1003, start + 64), end);
          order.add(start);
        });
    assertEquals(16, order.size());
    for (int c = 0; c < order.size(); c++) {
      assertEquals(c * 64, order.get(c));
    }
    List<Integer> chunks = new ArrayList<>();
    Parallel.forChunks(
        5,
        0,
        c -> {
          assertSame(caller, Thread.currentThread());
          chunks.add(c);
        });
    assertEquals(List.of(0, 1, 2, 3, 4), chunks);
  }

  @Test
  void largeWorkStillSpreadsOverThePool() {
    Parallel.setThreads(2);
    Set<Thread> seen = ConcurrentHashMap.newKeySet();
    long deadline = System.nanoTime() + 20_000_000_000L;
    Parallel.forChunks(
        2,
        Parallel.MIN_PARALLEL_WORK,
        c -> {
          seen.add(Thread.currentThread());
          while (seen.size() < 2 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
          }
        });
    assertEquals(2, seen.size());
  }

  @Test
  void rejectsBadArguments() {
    IllegalArgumentException bad =
        assertThrows(
            IllegalArgumentException.class, () -> Parallel.forRange(10, 1, -1, (s, f) -> {}));
    assertTrue(bad.getMessage().contains("work=-1"), bad.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Parallel.forRange(10, 0, 0, (s, f) -> {}));
    assertThrows(IllegalArgumentException.class, () -> Parallel.forChunks(-1, 0, c -> {}));
    assertThrows(IllegalArgumentException.class, () -> Parallel.forChunks(3, -5, c -> {}));
    assertThrows(IllegalArgumentException.class, () -> Parallel.setThreads(0));
    assertThrows(IllegalArgumentException.class, () -> Parallel.forChunks(-1, c -> {}));
    assertThrows(IllegalArgumentException.class, () -> Parallel.forRange(10, 0, (s, e) -> {}));
    assertTrue(Parallel.threads() >= 1);
  }
}
