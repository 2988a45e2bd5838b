package org.handgrad.app;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * A small text progress bar for long tasks (downloads, epochs): percent, amount done, rate and ETA.
 *
 * <pre>
 * train-images-idx3-ubyte.gz  45% [#########...........]  11.9/26.4 MB  3.2 MB/s  ETA 0:05
 * </pre>
 *
 * <p>On a terminal the line is redrawn in place with {@code \r} (at most every 100 ms); otherwise
 * (logs, CI, pipes) a new line is printed at most every few seconds, so logs stay short. Rate and
 * ETA are averages since the first update. Not thread-safe: call it from the working thread.
 */
public final class ProgressBar {
  /** What is counted. */
  public enum Unit {
    /** Bytes, shown in decimal kB/MB/GB like the dataset pages. */
    BYTES,
    /** Items (images, batches, steps), shown as plain counts. */
    ITEMS
  }

  private static final int BAR_WIDTH = 20;
  private static final long REDRAW_NANOS = 100_000_000L;
  private static final long LINE_NANOS = 3_000_000_000L;

  private final PrintWriter out;
  private final String label;
  private final Unit unit;
  private final boolean terminal;
  private final LongSupplier clock;

  private long done;
  private long total = -1;
  private long startNanos = -1;
  private long startDone;
  private long lastDraw;
  private int lastLength;
  private boolean finished;
  private String status = "";

  /**
   * @param out where to draw (normally standard error, so standard output stays clean)
   * @param label shown first on the line
   * @param unit what is counted
   * @param terminal redraw in place (true) or print periodic lines (false)
   * @param nanoClock time source, {@code System::nanoTime} outside tests
   */
  public ProgressBar(
      PrintWriter out, String label, Unit unit, boolean terminal, LongSupplier nanoClock) {
    this.out = out;
    this.label = label;
    this.unit = unit;
    this.terminal = terminal;
    this.clock = nanoClock;
  }

  /** A bar on standard error that redraws in place when a terminal is attached. */
  public static ProgressBar onStderr(String label, Unit unit) {
    return new ProgressBar(
        new PrintWriter(System.err, true), label, unit, interactive(), System::nanoTime);
  }

  /**
   * Whether the process runs on an interactive terminal. Java cannot test standard error alone; a
   * console (stdin and stdout on a terminal) with a TERM other than "dumb" is the best signal.
   */
  public static boolean interactive() {
    String term = System.getenv("TERM");
    return System.console() != null && term != null && !term.equals("dumb");
  }

  /**
   * Reports progress.
   *
   * @param done amount done so far
   * @param total the full amount, or -1 when unknown
   */
  public void update(long done, long total) {
    long now = clock.getAsLong();
    if (startNanos < 0) {
      startNanos = now;
      startDone = done;
      lastDraw = now - LINE_NANOS; // draw the first update at once
    }
    this.done = done;
    this.total = total;
    long interval = terminal ? REDRAW_NANOS : LINE_NANOS;
    if (now - lastDraw >= interval) {
      draw(now, false);
    }
  }

  /**
   * Sets a short text shown at the end of the line from the next redraw on, e.g. the current loss
   * of a training run ({@code "loss 0.4213"}); empty for none.
   */
  public void status(String text) {
    this.status = text == null ? "" : text;
  }

  /** Draws the final state and ends the line. Does nothing if there was no update. */
  public void finish() {
    if (finished || startNanos < 0) {
      return;
    }
    finished = true;
    draw(clock.getAsLong(), true);
  }

  private void draw(long now, boolean last) {
    lastDraw = now;
    String line = render(now);
    if (terminal) {
      int pad = Math.max(0, lastLength - line.length());
      out.print("\r" + line + " ".repeat(pad) + (last ? "\n" : ""));
      lastLength = line.length();
    } else {
      out.println(line);
    }
    out.flush();
  }

  /** The line for the current state at time {@code now}. */
  String render(long now) {
    double seconds = (now - startNanos) / 1e9;
    double rate = seconds > 0 ? (done - startDone) / seconds : 0;
    StringBuilder sb = new StringBuilder(label);
    if (total > 0) {
      double frac = Math.min(1.0, done / (double) total);
      int filled = (int) Math.round(frac * BAR_WIDTH);
      sb.append(String.format(Locale.ROOT, " %3d%% [", (int) Math.floor(frac * 100)))
          .append("#".repeat(filled))
          .append(".".repeat(BAR_WIDTH - filled))
          .append("]  ")
          .append(amounts(done, total));
    } else {
      sb.append("  ").append(amount(done));
    }
    sb.append("  ").append(unit == Unit.BYTES ? amount((long) rate) : fmt(rate)).append("/s");
    if (total > 0 && done < total && rate > 0) {
      sb.append("  ETA ").append(duration((total - done) / rate));
    } else if (total > 0 && done >= total) {
      sb.append("  in ").append(duration(seconds));
    }
    if (!status.isEmpty()) {
      sb.append("  ").append(status);
    }
    return sb.toString();
  }

  private String amounts(long a, long b) {
    if (unit == Unit.ITEMS) {
      return a + "/" + b;
    }
    String[] pb = scaled(b);
    String[] pa = scaledTo(a, pb[2]);
    return pa[0] + "/" + pb[0] + " " + pb[1];
  }

  private String amount(long a) {
    if (unit == Unit.ITEMS) {
      return fmt(a);
    }
    String[] p = scaled(a);
    return p[0] + " " + p[1];
  }

  private static final String[] UNITS = {"B", "kB", "MB", "GB", "TB"};

  /** {value, unit, exponent} in decimal units. */
  private static String[] scaled(long bytes) {
    int e = 0;
    double v = bytes;
    while (v >= 1000 && e < UNITS.length - 1) {
      v /= 1000;
      e++;
    }
    return new String[] {e == 0 ? String.valueOf(bytes) : fmt(v), UNITS[e], String.valueOf(e)};
  }

  private static String[] scaledTo(long bytes, String exponent) {
    int e = Integer.parseInt(exponent);
    return new String[] {e == 0 ? String.valueOf(bytes) : fmt(bytes / Math.pow(1000, e))};
  }

  private static String fmt(double v) {
    return String.format(Locale.ROOT, v < 10 ? "%.2f" : v < 100 ? "%.1f" : "%.0f", v);
  }

  /** 0:05, 12:34, 1:02:03. */
  public static String duration(double seconds) {
    long s = Math.max(0, Math.round(seconds));
    long h = s / 3600;
    long m = s / 60 % 60;
    long sec = s % 60;
    return h > 0
        ? String.format(Locale.ROOT, "%d:%02d:%02d", h, m, sec)
        : String.format(Locale.ROOT, "%d:%02d", m, sec);
  }
}
