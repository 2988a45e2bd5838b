package org.handgrad.kernels;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The single owner of threads in handgrad: a fixed pool of daemon threads and a parallel loop over
 * chunks. Every kernel and layer that wants more than one core goes through here, so the process
 * never runs more compute threads than configured.
 *
 * <h2>Configuration</h2>
 *
 * The thread count (the calling thread included) is, in order: the system property {@code
 * -Dhandgrad.threads=N}, the environment variable {@code HANDGRAD_THREADS}, else {@link
 * Runtime#availableProcessors()}. {@link #setThreads(int)} changes it at run time (benchmarks,
 * tests).
 *
 * <h2>Usage</h2>
 *
 * <pre>{@code
 * // rows [0, n) in chunks of 64 rows; each chunk writes only its own rows
 * Parallel.forRange(n, 64, (start, end) -> {
 *   for (int i = start; i < end; i++) { ... }
 * });
 * }</pre>
 *
 * <h2>Determinism</h2>
 *
 * Chunk boundaries depend only on the arguments ({@code n}, {@code grain} or {@code chunks}), never
 * on the thread count; which thread runs a chunk is not fixed. So a body whose chunks write
 * disjoint outputs gives bit-identical results for any thread count. For a reduction, let each
 * chunk write its partial result into its own slot ({@code partial[chunk]}) and combine the slots
 * in chunk order after the call: the result is then independent of the thread count too.
 *
 * <h2>Rules</h2>
 *
 * <ul>
 *   <li>The caller runs chunks too, and returns only when every chunk has finished. Writes made by
 *       a body happen-before the return of the call.
 *   <li>Nested calls (from inside a body) run inline on the current thread, chunk by chunk, so
 *       nesting never deadlocks. Two unrelated threads calling at the same time: the second one
 *       runs its loop inline too rather than wait for the pool.
 *   <li>An exception thrown by a body stops the remaining chunks from starting and is rethrown to
 *       the caller (a checked one wrapped in a RuntimeException) once running chunks have ended.
 *   <li>A call allocates one small job object; nothing is allocated per chunk. Bodies should not
 *       allocate in their inner loops either: keep per-thread scratch in a {@link ThreadLocal}
 *       (pool threads live as long as the process).
 * </ul>
 */
public final class Parallel {
  /** System property holding the thread count. */
  public static final String THREADS_PROPERTY = "handgrad.threads";

  /** Environment variable holding the thread count when the system property is absent. */
  public static final String THREADS_ENV = "HANDGRAD_THREADS";

  /** A parallel loop body over an index range. */
  @FunctionalInterface
  public interface RangeBody {
    /**
     * Processes indices {@code [start, end)}.
     *
     * @param start first index, inclusive
     * @param end last index, exclusive
     */
    void run(int start, int end);
  }

  /** A parallel loop body over numbered chunks. */
  @FunctionalInterface
  public interface ChunkBody {
    /**
     * Processes one chunk.
     *
     * @param chunk chunk number in {@code [0, chunks)}
     */
    void run(int chunk);
  }

  /**
   * How long a waiting thread spins before it parks: a worker between jobs, the caller waiting for
   * the last chunks. Kernels are often called back to back (layer after layer), and spinning a few
   * tens of microseconds saves the unpark latency; parking after that means an idle or
   * oversubscribed machine does not lose a core to spinning. A time rather than an iteration count,
   * because the spin-wait instruction (x86 PAUSE) takes about 10 cycles on older Intel cores, about
   * 140 on Skylake and later and 65 on Zen: 2,000 iterations meant 7 to 100 us.
   */
  static final long SPIN_NANOS = 30_000;

  /**
   * Below this much work (see {@link #forRange(int, int, long, RangeBody)}) a loop stays on the
   * calling thread: waking a parked pool thread and handing it a chunk costs 5-50 us, and on a busy
   * machine the woken thread may not get a core for a scheduler tick (ms) while the caller waits
   * for its chunk. 2^17 elementary operations take about 20-100 us on one core.
   */
  public static final long MIN_PARALLEL_WORK = 1L << 17;

  private static final ReentrantLock POOL_LOCK = new ReentrantLock();
  private static volatile int threads = configuredThreads();
  private static volatile Worker[] workers = new Worker[0];
  private static volatile Job current;

  private Parallel() {}

  /**
   * The number of threads a parallel loop may use, the calling thread included.
   *
   * @return the thread count, at least 1
   */
  public static int threads() {
    return threads;
  }

  /**
   * Sets the number of threads parallel loops may use, the calling thread included. Extra pool
   * threads are started lazily; unused ones stay parked.
   *
   * @param n thread count, at least 1
   */
  public static void setThreads(int n) {
    if (n < 1) {
      throw new IllegalArgumentException("Parallel.setThreads: n=" + n + " must be >= 1");
    }
    threads = n;
  }

  /**
   * Runs {@code body} over {@code [0, n)} split into chunks {@code [c*grain, min(n, (c+1)*grain))},
   * in parallel.
   *
   * @param n number of indices, at least 0
   * @param grain indices per chunk, at least 1; the chunking depends only on n and grain
   * @param body called once per chunk with its range
   */
  public static void forRange(int n, int grain, RangeBody body) {
    if (n < 0 || grain < 1) {
      throw new IllegalArgumentException(
          "Parallel.forRange: need n >= 0 and grain >= 1, got n=" + n + ", grain=" + grain);
    }
    int chunks = (int) (((long) n + grain - 1) / grain);
    forChunks(
        chunks,
        c -> {
          int start = c * grain;
          body.run(start, Math.min(n, start + grain));
        });
  }

  /**
   * As {@link #forRange(int, int, RangeBody)}, but on the calling thread alone when {@code work} is
   * below {@link #MIN_PARALLEL_WORK}: the same chunks in ascending order, so the result is the same
   * either way.
   *
   * @param n number of indices, at least 0
   * @param grain indices per chunk, at least 1
   * @param work estimate of the whole loop's elementary operations (multiply-adds, elements read or
   *     written), at least 0
   * @param body called once per chunk with its range
   */
  public static void forRange(int n, int grain, long work, RangeBody body) {
    if (work < 0) {
      throw new IllegalArgumentException("Parallel.forRange: work=" + work + " must be >= 0");
    }
    if (work >= MIN_PARALLEL_WORK) {
      forRange(n, grain, body);
      return;
    }
    if (n < 0 || grain < 1) {
      throw new IllegalArgumentException(
          "Parallel.forRange: need n >= 0 and grain >= 1, got n=" + n + ", grain=" + grain);
    }
    int chunks = (int) (((long) n + grain - 1) / grain);
    for (int c = 0; c < chunks; c++) {
      int start = c * grain;
      body.run(start, Math.min(n, start + grain));
    }
  }

  /**
   * As {@link #forChunks(int, ChunkBody)}, but on the calling thread alone when {@code work} is
   * below {@link #MIN_PARALLEL_WORK} (the same chunks in ascending order).
   *
   * @param chunks number of chunks, at least 0
   * @param work estimate of the whole loop's elementary operations, at least 0
   * @param body called once per chunk
   */
  public static void forChunks(int chunks, long work, ChunkBody body) {
    if (chunks < 0 || work < 0) {
      throw new IllegalArgumentException(
          "Parallel.forChunks: need chunks >= 0 and work >= 0, got chunks="
              + chunks
              + ", work="
              + work);
    }
    if (work < MIN_PARALLEL_WORK) {
      for (int c = 0; c < chunks; c++) {
        body.run(c);
      }
      return;
    }
    forChunks(chunks, body);
  }

  /**
   * Runs {@code body.run(c)} for every {@code c} in {@code [0, chunks)}, in parallel.
   *
   * @param chunks number of chunks, at least 0
   * @param body called once per chunk
   */
  public static void forChunks(int chunks, ChunkBody body) {
    if (chunks < 0) {
      throw new IllegalArgumentException("Parallel.forChunks: chunks=" + chunks + " must be >= 0");
    }
    int t = Math.min(threads, chunks);
    if (t <= 1
        || Thread.currentThread() instanceof Worker
        || POOL_LOCK.isHeldByCurrentThread()
        || !POOL_LOCK.tryLock()) {
      for (int c = 0; c < chunks; c++) {
        body.run(c);
      }
      return;
    }
    try {
      Worker[] ws = ensureWorkers(t - 1);
      Job job = new Job(body, chunks, t - 1);
      current = job;
      for (int w = 0; w < t - 1; w++) {
        LockSupport.unpark(ws[w]);
      }
      job.work();
      job.awaitDone();
      current = null;
      job.rethrow();
    } finally {
      POOL_LOCK.unlock();
    }
  }

  /** Starts pool threads until at least {@code count} exist; called under the pool lock. */
  private static Worker[] ensureWorkers(int count) {
    Worker[] ws = workers;
    if (ws.length >= count) {
      return ws;
    }
    Worker[] grown = Arrays.copyOf(ws, count);
    for (int w = ws.length; w < count; w++) {
      grown[w] = new Worker(w);
      grown[w].start();
    }
    workers = grown;
    return grown;
  }

  private static int configuredThreads() {
    String s = System.getProperty(THREADS_PROPERTY);
    String source = "-D" + THREADS_PROPERTY;
    if (s == null || s.isBlank()) {
      s = System.getenv(THREADS_ENV);
      source = THREADS_ENV;
    }
    if (s == null || s.isBlank()) {
      return Runtime.getRuntime().availableProcessors();
    }
    try {
      int n = Integer.parseInt(s.trim());
      if (n >= 1) {
        return n;
      }
    } catch (NumberFormatException e) {
      // fall through to the error below
    }
    throw new IllegalArgumentException(
        source + ": expected a positive thread count, got '" + s + "'");
  }

  /** One parallel loop in flight: chunks are claimed from a shared counter. */
  private static final class Job {
    final ChunkBody body;
    final int chunks;

    /** Workers with index below this take part; the others ignore the job. */
    final int helpers;

    final Thread owner = Thread.currentThread();
    final AtomicInteger next = new AtomicInteger();
    final AtomicInteger finished = new AtomicInteger();
    volatile Throwable error;

    Job(ChunkBody body, int chunks, int helpers) {
      this.body = body;
      this.chunks = chunks;
      this.helpers = helpers;
    }

    /** Claims and runs chunks until none are left. */
    void work() {
      int c;
      while ((c = next.getAndIncrement()) < chunks) {
        try {
          if (error == null) {
            body.run(c);
          }
        } catch (Throwable e) {
          if (error == null) {
            error = e;
          }
        } finally {
          if (finished.incrementAndGet() == chunks) {
            LockSupport.unpark(owner);
          }
        }
      }
    }

    void awaitDone() {
      long spinUntil = System.nanoTime() + SPIN_NANOS;
      boolean spinning = true;
      for (int i = 1; finished.get() < chunks; i++) {
        if (spinning) {
          Thread.onSpinWait();
          // Read the clock now and then only: nanoTime costs about as much as a few PAUSEs.
          spinning = (i & 63) != 0 || System.nanoTime() < spinUntil;
        } else {
          LockSupport.park(this);
        }
      }
    }

    void rethrow() {
      Throwable e = error;
      if (e instanceof RuntimeException r) {
        throw r;
      }
      if (e instanceof Error err) {
        throw err;
      }
      if (e != null) {
        throw new RuntimeException(e);
      }
    }
  }

  /** A pool thread: waits for a job it has not seen yet, helps with it, repeats. */
  private static final class Worker extends Thread {
    private final int index;

    Worker(int index) {
      super("handgrad-parallel-" + index);
      this.index = index;
      setDaemon(true);
    }

    @Override
    public void run() {
      Job seen = null;
      long spinUntil = System.nanoTime() + SPIN_NANOS;
      for (int i = 1; ; i++) {
        Job job = current;
        if (job != null && job != seen) {
          seen = job;
          if (index < job.helpers) {
            job.work();
          }
          spinUntil = System.nanoTime() + SPIN_NANOS;
        } else if ((i & 63) != 0 || System.nanoTime() < spinUntil) {
          Thread.onSpinWait();
        } else {
          // An unpark that raced ahead of this park leaves a permit, so no wake-up is lost.
          LockSupport.park(Parallel.class);
        }
      }
    }
  }
}
