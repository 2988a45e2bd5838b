package org.handgrad.app;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.LongSupplier;
import org.handgrad.kernels.CpuProfile;
import org.handgrad.kernels.Kernels;
import org.handgrad.kernels.Parallel;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code handgrad bench}: timing of kernels and layers, one subcommand each.
 *
 * <p>To add a benchmark: write a {@code Runnable} picocli command, mix in {@link Options} with
 * {@code @Mixin Options options;}, call {@link Options#apply()} first, time the work with {@link
 * #medianSeconds}, print a {@link Table}, and list the class in {@code subcommands} below.
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description =
        "Benchmark kernels: prints throughput tables (median of timed runs after warm-up).",
    subcommands = {
      GemmBenchCommand.class,
      BenchConvCommand.class,
      BenchTrainCommand.class,
      ActBenchCommand.class,
      UnetBenchCommand.class
    })
public final class BenchCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** Options every bench subcommand shares. */
  public static final class Options {
    @Option(
        names = "--threads",
        paramLabel = "N",
        description =
            "Threads for the kernels (default: handgrad.threads / HANDGRAD_THREADS / cores).")
    Integer threads;

    @Option(
        names = "--runs",
        paramLabel = "N",
        defaultValue = "7",
        description = "Timed runs per case; the median is reported (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(
        names = "--warmup",
        paramLabel = "N",
        defaultValue = "3",
        description =
            "Untimed runs per case before timing, at least 0.3 s worth (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(
        names = "--busy",
        paramLabel = "N",
        defaultValue = "0",
        description =
            "Start N CPU-bound threads that compete with the kernels for the cores, to time them"
                + " on a busy machine (default: ${DEFAULT-VALUE}).")
    int busy;

    @Option(
        names = "--scalar",
        description = "Force the plain-Java scalar kernels (to show the vector speed-up).")
    boolean scalar;

    /** Applies the thread count and the scalar switch; validates the counts. */
    void apply() {
      if (runs < 1 || warmup < 0) {
        throw new IllegalArgumentException(
            "bench: need --runs >= 1 and --warmup >= 0, got " + runs + " and " + warmup);
      }
      if (threads != null) {
        Parallel.setThreads(threads);
      }
      Kernels.forceScalar(scalar);
      BusyThreads.start(busy);
    }

    /** The header lines: JDK, threads, kernels, CPU, timing method. */
    void printHeader(PrintStream out, String what) {
      out.printf(
          "%s | JDK %s (%s) | %d thread%s | kernels: %s%s%n",
          what,
          Runtime.version(),
          System.getProperty("java.vm.vendor"),
          Parallel.threads(),
          Parallel.threads() == 1 ? "" : "s",
          Kernels.describe(),
          busy == 0 ? "" : " | " + busy + " competing busy thread" + (busy == 1 ? "" : "s"));
      out.println(cpuLine());
      out.printf("median of %d timed runs after >= %d warm-up runs%n%n", runs, warmup);
    }
  }

  /**
   * The machine every figure of a bench command was taken on: CPU model, cores, vector width,
   * caches and GEMM shapes ({@link CpuProfile#describe()}), and the load average.
   *
   * @return one line starting with "cpu: "
   */
  static String cpuLine() {
    return "cpu: " + CpuProfile.current().describe() + " | load average " + loadAverage();
  }

  /** The 1, 5 and 15-minute load averages from /proc/loadavg, or "unknown". */
  static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }

  /**
   * Runs {@code work} for warm-up (at least {@code warmup} times and 0.3 s), then {@code runs}
   * timed times.
   *
   * @return the median wall time of the timed runs, in seconds
   */
  static double medianSeconds(Runnable work, int warmup, int runs) {
    return medianSeconds(work, warmup, runs, false);
  }

  /**
   * As {@link #medianSeconds(Runnable, int, int)}, timing either wall time or the calling thread's
   * CPU time. CPU time measures a one-thread kernel's speed per core even when the machine is busy
   * (time spent waiting for a core is not counted); it ignores pool threads, so it is only
   * meaningful with one kernel thread.
   *
   * @param cpuTime true to time the calling thread's CPU time
   * @return the median of the timed runs, in seconds
   */
  static double medianSeconds(Runnable work, int warmup, int runs, boolean cpuTime) {
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    LongSupplier clock = cpuTime ? mx::getCurrentThreadCpuTime : System::nanoTime;
    long warmStart = System.nanoTime();
    for (int i = 0; i < warmup || System.nanoTime() - warmStart < 300_000_000L; i++) {
      work.run();
    }
    double[] t = new double[runs];
    for (int i = 0; i < runs; i++) {
      long t0 = clock.getAsLong();
      work.run();
      t[i] = (clock.getAsLong() - t0) * 1e-9;
    }
    Arrays.sort(t);
    return runs % 2 == 1 ? t[runs / 2] : 0.5 * (t[runs / 2 - 1] + t[runs / 2]);
  }

  /** A text table with right-aligned columns except the first; printed once complete. */
  static final class Table {
    private final String[] header;
    private final List<String[]> rows = new ArrayList<>();

    Table(String... header) {
      this.header = header;
    }

    void add(String... row) {
      if (row.length != header.length) {
        throw new IllegalArgumentException(
            "Table.add: " + row.length + " cells for " + header.length + " columns");
      }
      rows.add(row);
    }

    void print(PrintStream out) {
      int[] w = new int[header.length];
      for (int j = 0; j < w.length; j++) {
        w[j] = header[j].length();
        for (String[] r : rows) {
          w[j] = Math.max(w[j], r[j].length());
        }
      }
      printRow(out, header, w);
      StringBuilder rule = new StringBuilder();
      for (int j = 0; j < w.length; j++) {
        rule.append(j == 0 ? "" : "  ").append("-".repeat(w[j]));
      }
      out.println(rule);
      for (String[] r : rows) {
        printRow(out, r, w);
      }
    }

    private static void printRow(PrintStream out, String[] cells, int[] w) {
      StringBuilder sb = new StringBuilder();
      for (int j = 0; j < cells.length; j++) {
        String cell = cells[j];
        String pad = " ".repeat(w[j] - cell.length());
        sb.append(j == 0 ? "" : "  ").append(j == 0 ? cell + pad : pad + cell);
      }
      out.println(sb.toString().stripTrailing());
    }
  }
}
