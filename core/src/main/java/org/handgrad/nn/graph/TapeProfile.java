package org.handgrad.nn.graph;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where the time of recorded passes goes, summed by operation name ({@code Conv2d}, {@code
 * GroupNorm}, {@code attention}, {@code add}, ...): what {@code torch.profiler} shows by operator,
 * for the tapes of one thread.
 *
 * <pre>{@code
 * try (TapeProfile p = TapeProfile.start()) {
 *   for (int i = 0; i < 5; i++) trainStep.run();   // forward on a Tape, backward, Adam
 *   for (TapeProfile.Row r : p.rows()) ...          // or p.table(5)
 * }
 * }</pre>
 *
 * <p><b>What is timed.</b> Every {@link Tape} created on this thread while the profile is open
 * reports to it. Backward: the wall time of each entry's backward, gradient accumulation included.
 * Forward: a tape only learns of an operation once its forward has run, so an entry is charged the
 * time since the tape's previous event (its creation, a leaf, or the previous entry); work the
 * caller does between entries (building a constant, reshaping outside the tape) is charged to the
 * next entry, and leaves are charged as {@code "leaf"}. Nested modules report their inner entries,
 * so a ResNet block shows up as its Conv2d, GroupNorm and add entries. With several tapes recorded
 * in an interleaved way the forward attribution is wrong; one tape at a time is what the models do.
 * Time outside every tape (an optimizer step, a loss computed by hand) is not seen: compare the
 * table's total with the step's wall time.
 *
 * <p>Not thread-safe: one thread records and reads a profile.
 */
public final class TapeProfile implements AutoCloseable {
  private static final ThreadLocal<TapeProfile> CURRENT = new ThreadLocal<>();

  /**
   * The totals of one operation name.
   *
   * @param op the name the tape recorded
   * @param forwardCalls forward entries
   * @param forwardNanos their charged forward time
   * @param backwardCalls backward entries run (entries the loss does not depend on are skipped)
   * @param backwardNanos their backward time
   */
  public record Row(
      String op, long forwardCalls, long forwardNanos, long backwardCalls, long backwardNanos) {
    /** Forward plus backward nanoseconds. */
    public long totalNanos() {
      return forwardNanos + backwardNanos;
    }
  }

  private final Map<String, long[]> totals = new LinkedHashMap<>();
  private final TapeProfile previous;
  private long mark;

  private TapeProfile(TapeProfile previous) {
    this.previous = previous;
  }

  /** Opens a profile on this thread; tapes created until {@link #close} report to it. */
  public static TapeProfile start() {
    TapeProfile p = new TapeProfile(CURRENT.get());
    CURRENT.set(p);
    return p;
  }

  /** The open profile of this thread, or null. */
  static TapeProfile current() {
    return CURRENT.get();
  }

  /** A tape was created: forward time is counted from now. */
  void begin() {
    mark = System.nanoTime();
  }

  /** An entry (or leaf) named op was recorded: it is charged the time since the last event. */
  void forward(String op) {
    long now = System.nanoTime();
    long[] t = totals.computeIfAbsent(op, k -> new long[4]);
    t[0]++;
    t[1] += now - mark;
    mark = now;
  }

  /** The backward of an entry named op took nanos. */
  void backward(String op, long nanos) {
    long[] t = totals.computeIfAbsent(op, k -> new long[4]);
    t[2]++;
    t[3] += nanos;
  }

  /** The totals by operation, the most expensive (forward + backward) first. */
  public List<Row> rows() {
    List<Row> rows = new ArrayList<>();
    for (Map.Entry<String, long[]> e : totals.entrySet()) {
      long[] t = e.getValue();
      rows.add(new Row(e.getKey(), t[0], t[1], t[2], t[3]));
    }
    rows.sort(Comparator.comparingLong(Row::totalNanos).reversed().thenComparing(Row::op));
    return rows;
  }

  /** Forward plus backward nanoseconds over every operation. */
  public long totalNanos() {
    long s = 0;
    for (long[] t : totals.values()) {
      s += t[1] + t[3];
    }
    return s;
  }

  /** Stops recording on this thread (the totals stay readable); restores an enclosing profile. */
  @Override
  public void close() {
    if (CURRENT.get() == this) {
      CURRENT.set(previous);
    }
  }
}
