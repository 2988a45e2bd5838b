package org.handgrad.app.ssl;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.handgrad.app.report.Charts;
import org.handgrad.app.report.HtmlReport;
import org.handgrad.data.SyntheticVideo;
import org.handgrad.io.AtomicFiles;
import org.handgrad.models.ssl.dino.DinoTrainer;
import org.handgrad.tensor.Tensor;

/**
 * The DINO pre-training loop of {@code ssl train --method dino}: steps of {@link DinoTrainer} with
 * a progress line, a checkpoint every few steps and at the end ({@code RUN/dino.safetensors}), the
 * loss history ({@code RUN/loss.csv}) and its plot ({@code RUN/loss.png}). SIGTERM or Ctrl-C stops
 * after the current step and saves first; {@code resume} continues from the checkpoint exactly.
 */
public final class DinoTraining {
  /** The checkpoint's file name inside a run folder. */
  public static final String CHECKPOINT = "dino.safetensors";

  private DinoTraining() {}

  /**
   * Images in [0, 1] to the model's input scale, {@code (x - 0.5) / 0.5}, the same for every data
   * source and for {@code segment-video}.
   *
   * @param x images, shape (N, C, H, W), values in [0, 1]
   * @return shape (N, C, H, W), values in [-1, 1]
   */
  public static Tensor normalize(Tensor x) {
    return x.sub(0.5).div(0.5);
  }

  /**
   * Frames of generated videos for pre-training: {@code videos} clips of {@code frames} frames,
   * seeds 1000, 1001, ... (the evaluation video of {@code segment-video} uses seed 0 by default, so
   * it is never trained on).
   *
   * @return shape (videos frames, 3, size, size), values in [0, 1]
   */
  public static Tensor videoFrames(int videos, int frames, int size) {
    Tensor[] parts = new Tensor[videos];
    for (int i = 0; i < videos; i++) {
      parts[i] =
          SyntheticVideo.generate(new SyntheticVideo.Config(frames, size, 2, 1000 + i)).frames();
    }
    return Tensor.concatenate(0, parts);
  }

  /**
   * Runs (or resumes) a run until its last step or a stop signal.
   *
   * @param trainer a fresh trainer, or one restored by the caller
   * @param data training images, shape (M, C, H, W), normalized
   * @param run the run folder
   * @param checkpointEvery steps between checkpoints
   * @param printEvery steps between progress lines
   * @param out progress lines
   * @return true when the run completed, false when it was stopped by a signal
   */
  public static boolean run(
      DinoTrainer trainer,
      Tensor data,
      Path run,
      int checkpointEvery,
      int printEvery,
      PrintWriter out)
      throws IOException {
    Files.createDirectories(run);
    List<Double> losses = readLosses(run.resolve("loss.csv"), trainer.step());
    AtomicBoolean stop = new AtomicBoolean();
    CountDownLatch saved = new CountDownLatch(1);
    // SIGTERM / Ctrl-C: the JVM runs shutdown hooks while this thread keeps going; ask it to stop
    // after its step and hold the JVM until the checkpoint is written.
    Thread hook =
        new Thread(
            () -> {
              stop.set(true);
              try {
                saved.await(120, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "dino-sigterm");
    Runtime.getRuntime().addShutdownHook(hook);
    int total = trainer.options().totalSteps();
    int n = trainer.options().batchSize();
    long start = System.nanoTime();
    int first = trainer.step();
    try {
      while (trainer.step() < total && !stop.get()) {
        DinoTrainer.Stats s = trainer.step(data);
        losses.add(s.loss());
        int done = trainer.step();
        if (done % printEvery == 0 || done == total) {
          double secs = (System.nanoTime() - start) / 1e9;
          out.printf(
              Locale.ROOT,
              "step %d/%d  loss %.4f  teacher entropy %.3f  lr %.2e  m %.5f  tau_t %.3f  %.1f img/s%n",
              done,
              total,
              s.loss(),
              s.teacherEntropy(),
              s.learningRate(),
              s.momentum(),
              s.teacherTemp(),
              (done - first) * n / secs);
          out.flush();
        }
        if (done % checkpointEvery == 0 && done < total) {
          save(trainer, run, losses);
        }
      }
      save(trainer, run, losses);
      boolean complete = trainer.step() >= total;
      out.println(
          (complete ? "done: " : "stopped at step " + trainer.step() + ", saved: ")
              + run.resolve(CHECKPOINT)
              + " (resume with --resume)");
      out.println("loss plot: " + run.resolve("loss.png"));
      out.println("report: " + HtmlReport.write(run));
      out.flush();
      return complete;
    } finally {
      saved.countDown();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // the hook is running: it returns now that the checkpoint is out
      }
    }
  }

  private static void save(DinoTrainer trainer, Path run, List<Double> losses) throws IOException {
    trainer.save(run.resolve(CHECKPOINT));
    StringBuilder csv = new StringBuilder("step,loss\n");
    for (int i = 0; i < losses.size(); i++) {
      csv.append(i + 1).append(',').append(losses.get(i)).append('\n');
    }
    AtomicFiles.write(
        run.resolve("loss.csv"), csv.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    if (!losses.isEmpty()) {
      Charts.lossCurve(losses, "DINO loss", run.resolve("loss.png"));
    }
  }

  /** The first {@code steps} losses of an earlier run's csv (none for a fresh run). */
  private static List<Double> readLosses(Path csv, int steps) throws IOException {
    List<Double> out = new ArrayList<>();
    if (steps == 0 || !Files.exists(csv)) {
      return out;
    }
    for (String line : Files.readAllLines(csv)) {
      if (line.startsWith("step") || line.isBlank() || out.size() >= steps) {
        continue;
      }
      out.add(Double.parseDouble(line.substring(line.indexOf(',') + 1)));
    }
    return out;
  }
}
