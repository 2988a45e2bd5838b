package org.handgrad.app.report;

import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.handgrad.io.Json;
import org.handgrad.optim.SolverListener;

/**
 * Appends a Solver's progress to a JSON Lines file, one object per line, flushed at once so a
 * killed run keeps its log. Every line has an {@code "event"}:
 *
 * <ul>
 *   <li>{@code start}: {@code iteration, num_iterations, iterations_per_epoch, num_epochs};
 *   <li>{@code iterations}: a summary of the last {@code every} iterations, {@code iteration,
 *       epoch, loss} (of the last one), {@code loss_mean, lr, grad_norm, images_per_s} (means over
 *       the window);
 *   <li>{@code epoch}: an accuracy check, {@code iteration, epoch, train_acc, val_acc,
 *       best_val_acc, improved, lr};
 *   <li>{@code checkpoint}: {@code iteration, file};
 *   <li>{@code finish}: {@code status, iteration, best_val_acc, seconds};
 *   <li>{@code warning} (training looks diverged though finite) and {@code diverged} (stopped):
 *       {@code kind, iteration, epoch, message} and the numbers behind the diagnosis.
 * </ul>
 *
 * NaN and infinite numbers are written as {@code null} (JSON has no NaN).
 */
public final class MetricsLog implements SolverListener, Closeable {
  private final BufferedWriter out;
  private final int every;
  private int count;
  private double lossSum;
  private double normSum;
  private double speedSum;

  /**
   * Opens {@code file} for appending (created if missing).
   *
   * @param every iterations per summary line, &gt; 0 (e.g. the Solver's printEvery)
   */
  public MetricsLog(Path file, int every) throws IOException {
    if (every <= 0) {
      throw new IllegalArgumentException("MetricsLog: every must be > 0, got " + every);
    }
    Files.createDirectories(file.toAbsolutePath().getParent());
    this.out =
        Files.newBufferedWriter(
            file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    this.every = every;
  }

  @Override
  public void trainingStarted(Start s) {
    Map<String, Object> m = event("start");
    m.put("iteration", s.iteration());
    m.put("num_iterations", s.numIterations());
    m.put("iterations_per_epoch", s.iterationsPerEpoch());
    m.put("num_epochs", s.numEpochs());
    write(m);
  }

  @Override
  public void iterationDone(Iteration it) {
    count++;
    lossSum += it.loss();
    normSum += it.gradNorm();
    speedSum += it.imagesPerSecond();
    if (count == every || it.iteration() == it.numIterations()) {
      Map<String, Object> m = event("iterations");
      m.put("iteration", it.iteration());
      m.put("epoch", it.epoch());
      m.put("loss", finite(it.loss()));
      m.put("loss_mean", finite(lossSum / count));
      m.put("lr", finite(it.learningRate()));
      m.put("grad_norm", finite(normSum / count));
      m.put("images_per_s", finite(speedSum / count));
      write(m);
      count = 0;
      lossSum = normSum = speedSum = 0;
    }
  }

  @Override
  public void accuracyChecked(Accuracy a) {
    Map<String, Object> m = event("epoch");
    m.put("iteration", a.iteration());
    m.put("epoch", a.epoch());
    m.put("train_acc", finite(a.trainAcc()));
    m.put("val_acc", finite(a.valAcc()));
    m.put("best_val_acc", finite(a.bestValAcc()));
    m.put("improved", a.improved());
    m.put("lr", finite(a.learningRate()));
    write(m);
  }

  @Override
  public void checkpointSaved(Path file, int iteration) {
    Map<String, Object> m = event("checkpoint");
    m.put("iteration", iteration);
    m.put("file", file.getFileName().toString());
    write(m);
  }

  @Override
  public void trainingFinished(Finish f) {
    Map<String, Object> m = event("finish");
    m.put("status", f.status().name().toLowerCase(Locale.ROOT));
    m.put("iteration", f.iteration());
    m.put("best_val_acc", finite(f.bestValAcc()));
    m.put("seconds", finite(f.seconds()));
    write(m);
  }

  /**
   * Writes one more event line (e.g. a divergence warning); its map must hold {@code "event"}.
   *
   * @param fields the line's fields, numbers finite
   */
  public void note(Map<String, Object> fields) {
    if (!fields.containsKey("event")) {
      throw new IllegalArgumentException("MetricsLog: a line needs an \"event\", got " + fields);
    }
    write(new LinkedHashMap<>(fields));
  }

  private static Map<String, Object> event(String name) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("event", name);
    return m;
  }

  private static Double finite(double v) {
    return Double.isFinite(v) ? v : null;
  }

  private void write(Map<String, Object> m) {
    try {
      out.write(Json.write(m));
      out.newLine();
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("metrics log: write failed", e);
    }
  }

  @Override
  public void close() throws IOException {
    out.close();
  }

  /**
   * Reads a metrics file back, one map per line (blank lines skipped).
   *
   * @throws IOException when a line is not a JSON object (naming the line)
   */
  public static List<Map<String, Object>> read(Path file) throws IOException {
    List<Map<String, Object>> rows = new ArrayList<>();
    int lineNo = 0;
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      lineNo++;
      if (line.isBlank()) {
        continue;
      }
      Object v;
      try {
        v = Json.parse(line);
      } catch (IllegalArgumentException e) {
        throw new IOException(file + ":" + lineNo + ": " + e.getMessage(), e);
      }
      if (!(v instanceof Map<?, ?> map)) {
        throw new IOException(file + ":" + lineNo + ": not a JSON object");
      }
      Map<String, Object> row = new LinkedHashMap<>();
      map.forEach((k, val) -> row.put((String) k, val));
      rows.add(row);
    }
    return rows;
  }
}
