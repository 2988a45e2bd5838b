package org.handgrad.coco;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.UnaryOperator;

/**
 * A bounded mutation fuzzer for file readers (issue 14): feeds a reader seeded random mutations and
 * every truncation (or an even sample of them) of a valid file. A reader passes when every case
 * either loads or fails with an {@link IOException} whose message names the file, no case hangs,
 * and no truncated file loads. Any other exception or error (including {@link OutOfMemoryError}) is
 * a failure.
 *
 * <p>A copy of core's {@code org.handgrad.io.ReaderFuzz} (test classes are not shared between
 * modules).
 *
 * <p>The CI budget is the default case count; {@code -Dhandgrad.fuzz.scale=K} multiplies it for a
 * long run ({@code mvn -pl coco -am test -Dtest='*Fuzz*' -Dhandgrad.fuzz.scale=100}), and each test
 * prints its counts.
 */
public final class ReaderFuzz {
  private ReaderFuzz() {}

  /** Reads a file as the reader under test would. */
  @FunctionalInterface
  public interface Reader {
    /** Reads {@code file}; must throw {@link IOException} on bad input. */
    void read(Path file) throws Exception;
  }

  /**
   * What happened.
   *
   * @param cases inputs tried
   * @param cleanErrors IOExceptions naming the file
   * @param loaded mutated files read without error (allowed: a mutation may keep a file valid)
   * @param failures anything else: other exception types, hangs, loaded truncations, messages
   *     without the file name
   */
  public record Counts(int cases, int cleanErrors, int loaded, List<String> failures) {
    @Override
    public String toString() {
      return String.format(
          "%d cases: %d clean errors, %d loaded, %d other",
          cases, cleanErrors, loaded, failures.size());
    }
  }

  /** The case-count multiplier, {@code -Dhandgrad.fuzz.scale} (default 1). */
  public static int scale() {
    return Integer.getInteger("handgrad.fuzz.scale", 1);
  }

  private static final long[] INTERESTING = {
    0,
    1,
    -1,
    2,
    0x7f,
    0x80,
    0xff,
    0x7fff,
    0x8000,
    0xffff,
    0x7fffffffL,
    0x80000000L,
    0xffffffffL,
    0x7ffffff0L,
    0x100000000L,
    Long.MAX_VALUE,
    Long.MIN_VALUE,
    1L << 40
  };

  /**
   * Runs the fuzz: {@code mutations} mutated files, then truncations of the valid file (every
   * length when there are at most {@code maxTruncations}, else that many evenly spaced ones). The
   * valid bytes are written back to {@code file} at the end.
   *
   * @param file where each case is written; the reader reads it (or its folder)
   * @param valid a file the reader loads
   * @param timeoutMillis per case; longer is a hang
   */
  public static Counts run(
      Path file,
      byte[] valid,
      Reader reader,
      int mutations,
      int maxTruncations,
      long seed,
      long timeoutMillis)
      throws IOException {
    return run(file, valid, reader, mutations, maxTruncations, seed, timeoutMillis, b -> b);
  }

  /**
   * As {@link #run(Path, byte[], Reader, int, int, long, long)}, passing each mutated file through
   * {@code fix} first (e.g. to recompute checksums, so mutations reach the decoder behind them).
   */
  public static Counts run(
      Path file,
      byte[] valid,
      Reader reader,
      int mutations,
      int maxTruncations,
      long seed,
      long timeoutMillis,
      UnaryOperator<byte[]> fix)
      throws IOException {
    Files.write(file, valid);
    Outcome baseline = attempt(file, reader, timeoutMillis, null);
    if (baseline.error != null || baseline.failure != null) {
      throw new AssertionError("the valid file does not load: " + baseline, baseline.error);
    }
    SplittableRandom r = new SplittableRandom(seed);
    List<String> failures = new ArrayList<>();
    int clean = 0;
    int loaded = 0;
    int cases = 0;
    ExecutorService[] pool = {Executors.newSingleThreadExecutor(ReaderFuzz::daemon)};
    try {
      for (int m = 0; m < mutations; m++) {
        byte[] bytes = fix.apply(mutate(valid, r));
        Files.write(file, bytes);
        Outcome o = attempt(file, reader, timeoutMillis, pool);
        cases++;
        if (o.failure != null) {
          failures.add("mutation " + m + ": " + o.failure);
        } else if (o.error != null) {
          clean++;
        } else {
          loaded++;
        }
      }
      int n = valid.length;
      int count = Math.min(n, maxTruncations);
      for (int t = 0; t < count; t++) {
        int len = count == n ? t : (int) ((long) t * n / count);
        Files.write(file, Arrays.copyOf(valid, len));
        Outcome o = attempt(file, reader, timeoutMillis, pool);
        cases++;
        if (o.failure != null) {
          failures.add("truncation to " + len + " bytes: " + o.failure);
        } else if (o.error != null) {
          clean++;
        } else {
          failures.add("truncation to " + len + " of " + n + " bytes loaded without error");
        }
      }
    } finally {
      pool[0].shutdownNow();
      Files.write(file, valid);
    }
    return new Counts(cases, clean, loaded, failures);
  }

  private static Thread daemon(Runnable task) {
    Thread t = new Thread(task, "reader-fuzz");
    t.setDaemon(true);
    return t;
  }

  private record Outcome(IOException error, String failure) {}

  private static Outcome attempt(
      Path file, Reader reader, long timeoutMillis, ExecutorService[] pool) {
    if (pool == null) {
      return call(file, reader);
    }
    Future<Outcome> f = pool[0].submit(() -> call(file, reader));
    try {
      return f.get(timeoutMillis, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      f.cancel(true);
      pool[0].shutdownNow();
      pool[0] = Executors.newSingleThreadExecutor(ReaderFuzz::daemon);
      return new Outcome(null, "no answer within " + timeoutMillis + " ms (a hang)");
    } catch (ExecutionException | InterruptedException e) {
      return new Outcome(null, "harness: " + e);
    }
  }

  private static Outcome call(Path file, Reader reader) {
    try {
      reader.read(file);
      return new Outcome(null, null);
    } catch (IOException e) {
      String msg = e.getMessage();
      if (msg == null || !msg.contains(file.getFileName().toString())) {
        return new Outcome(null, "IOException without the file name: " + e);
      }
      return new Outcome(e, null);
    } catch (Throwable e) { // the point: anything but IOException is a finding, even an Error
      StringBuilder sb = new StringBuilder(e.toString());
      StackTraceElement[] st = e.getStackTrace();
      for (int i = 0; i < Math.min(4, st.length); i++) {
        sb.append(" at ").append(st[i]);
      }
      return new Outcome(null, sb.toString());
    }
  }

  /** One to four stacked mutations, half of them in the first 512 bytes (the headers). */
  static byte[] mutate(byte[] valid, SplittableRandom r) {
    byte[] b = valid.clone();
    int k = 1 + r.nextInt(4);
    for (int i = 0; i < k; i++) {
      if (b.length == 0) {
        return b;
      }
      int pos = r.nextBoolean() ? r.nextInt(Math.min(512, b.length)) : r.nextInt(b.length);
      switch (r.nextInt(7)) {
        case 0 -> b[pos] ^= (byte) (1 << r.nextInt(8));
        case 1 -> b[pos] = (byte) r.nextInt(256);
        case 2, 3 -> {
          int width = r.nextBoolean() ? 4 : (r.nextBoolean() ? 8 : 2);
          if (pos + width <= b.length) {
            long v = INTERESTING[r.nextInt(INTERESTING.length)];
            if (r.nextInt(4) == 0) {
              v = r.nextLong();
            }
            ByteBuffer bb =
                ByteBuffer.wrap(b, pos, width)
                    .order(r.nextBoolean() ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
            switch (width) {
              case 2 -> bb.putShort((short) v);
              case 4 -> bb.putInt((int) v);
              default -> bb.putLong(v);
            }
          }
        }
        case 4 -> {
          int len = Math.min(1 + r.nextInt(16), b.length - pos);
          byte[] c = new byte[b.length - len];
          System.arraycopy(b, 0, c, 0, pos);
          System.arraycopy(b, pos + len, c, pos, b.length - pos - len);
          b = c;
        }
        case 5 -> {
          int len = 1 + r.nextInt(16);
          byte[] c = new byte[b.length + len];
          System.arraycopy(b, 0, c, 0, pos);
          for (int j = 0; j < len; j++) {
            c[pos + j] = (byte) r.nextInt(256);
          }
          System.arraycopy(b, pos, c, pos + len, b.length - pos);
          b = c;
        }
        default -> {
          int len = Math.min(1 + r.nextInt(64), b.length - pos);
          int to = r.nextInt(b.length);
          System.arraycopy(b, pos, b, to, Math.min(len, b.length - to));
        }
      }
    }
    return b;
  }
}
