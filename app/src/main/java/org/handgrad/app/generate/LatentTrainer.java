package org.handgrad.app.generate;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntConsumer;
import org.handgrad.app.ProgressBar;
import org.handgrad.app.report.Charts;
import org.handgrad.data.Split;
import org.handgrad.models.gan.Dcgan;
import org.handgrad.models.gan.GanTrainer;
import org.handgrad.models.vae.Vae;
import org.handgrad.models.vae.VaeTrainer;
import org.handgrad.tensor.Rng;
import org.handgrad.tensor.Tensor;

/**
 * The training loop of {@code generate train --method vae|gan}: minibatches in a seeded per-epoch
 * order (the last, smaller batch included), one {@link VaeTrainer#step} or {@link GanTrainer#step}
 * each; a progress bar within the epoch, a line per epoch, and at every epoch's end a checkpoint,
 * the loss plot and a sample grid.
 *
 * <p>The order of epoch e is a permutation drawn from the run seed and e alone ({@link
 * Trainer#epochOrder}), and every other draw (the VAE's noise, the GAN's noise and fake labels)
 * comes from the core trainer's generator, which its checkpoint keeps: so a run stopped after any
 * step resumes exactly (tested).
 *
 * <p>Files in the run folder: {@code config.json}, {@code checkpoints/<method>_step_<S>.*} ({@link
 * LatentCheckpoint}), {@code loss.png}, {@code samples/epoch_<E>.png} (a fixed seed, so that the
 * grids of different epochs compare; one row per class for a conditional GAN; {@code
 * samples/step_<S>.png} when a run stops within an epoch).
 */
public final class LatentTrainer {
  private final LatentConfig cfg;
  private final Path run;
  private final Split train;
  private final PrintWriter out;
  private final PrintWriter err;
  private final AtomicBoolean stop;
  private IntConsumer afterStep = step -> {};

  /**
   * @param train training images in [0, 1], float32, (N, C, H, W), with labels
   * @param out per-epoch lines
   * @param err the progress bar
   * @param stop set (by a signal handler) to end after the current step with a checkpoint
   */
  public LatentTrainer(
      LatentConfig cfg,
      Path run,
      Split train,
      PrintWriter out,
      PrintWriter err,
      AtomicBoolean stop) {
    this.cfg = cfg;
    this.run = run;
    this.train = train;
    this.out = out;
    this.err = err;
    this.stop = stop;
  }

  /** Calls {@code observer} with the step count after every step (tests stop a run mid-epoch). */
  LatentTrainer afterStep(IntConsumer observer) {
    this.afterStep = observer;
    return this;
  }

  /**
   * Trains until {@code epochs} epochs are done (counting those of a resumed checkpoint) or a stop
   * is requested.
   *
   * @param resume the checkpoint JSON to continue from, or null for a fresh start
   * @param keep newest checkpoints kept
   * @return true when all epochs are done, false when stopped early
   */
  public boolean run(int epochs, int keep, Path resume) throws IOException {
    int n = train.size();
    int b = cfg.batchSize();
    if (b > n) {
      throw new IllegalArgumentException(
          "--batch-size " + b + " is larger than the " + n + " training images");
    }
    int perEpoch = (n + b - 1) / b;
    long total = (long) epochs * perEpoch;
    if (total > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("--epochs " + epochs + " is too many steps");
    }
    Vae vae = cfg.vae() != null ? new Vae(cfg.vae()) : null;
    Dcgan gan = cfg.gan() != null ? new Dcgan(cfg.gan()) : null;
    VaeTrainer vt =
        vae != null
            ? new VaeTrainer(vae, new VaeTrainer.Options(b, cfg.learningRate(), cfg.seed()))
            : null;
    GanTrainer gt =
        gan != null
            ? new GanTrainer(gan, new GanTrainer.Options(b, cfg.learningRate(), 0.5, cfg.seed()))
            : null;
    Map<String, List<Double>> losses = new LinkedHashMap<>();
    for (String k :
        vae != null
            ? List.of("loss", "reconstruction", "kl")
            : List.of("discriminator", "generator")) {
      losses.put(k, new ArrayList<>());
    }
    int step = 0;
    double seconds = 0;
    if (resume != null) {
      LatentCheckpoint c = LatentCheckpoint.read(resume);
      Path weights = LatentCheckpoint.weightsOf(resume);
      if (vt != null) {
        vt.restore(weights);
      } else {
        gt.restore(weights);
      }
      step = c.step();
      seconds = c.seconds();
      for (String k : losses.keySet()) {
        List<Double> h = c.losses().get(k);
        if (h == null || h.size() != step) {
          throw new IOException(
              resume + ": its '" + k + "' history does not hold " + step + " steps");
        }
        losses.get(k).addAll(h);
      }
      out.println("resumed at step " + step + " (epoch " + step / perEpoch + " of " + epochs + ")");
    }
    Tensor x = train.x();
    // the GAN reads [-1, 1], its tanh's range (GanTrainer.epoch maps the same way)
    Tensor xg = gan != null ? GenData.toModelRange(train, x.dtype()).x() : null;
    int[] y = train.y();
    int[] order = null;
    int orderEpoch = -1;
    // the window since the last epoch line: its training time and images, checkpoints excluded
    long windowStart = System.nanoTime();
    int windowFrom = step;
    long windowImages = 0;
    ProgressBar bar = null;
    while (step < total && !stop.get()) {
      int epoch = step / perEpoch;
      if (epoch != orderEpoch) {
        order = Trainer.epochOrder(cfg.seed(), epoch, n);
        orderEpoch = epoch;
        bar =
            new ProgressBar(
                err,
                String.format(Locale.ROOT, "epoch %d/%d", epoch + 1, epochs),
                ProgressBar.Unit.ITEMS,
                ProgressBar.interactive(),
                System::nanoTime);
      }
      int from = (step % perEpoch) * b;
      int[] idx = Arrays.copyOfRange(order, from, Math.min(n, from + b));
      if (vt != null) {
        Vae.Terms t = vt.step(x.take(0, idx));
        losses.get("loss").add(t.loss());
        losses.get("reconstruction").add(t.reconstruction());
        losses.get("kl").add(t.kl());
      } else {
        int[] labels = null;
        if (cfg.numClasses() > 0) {
          labels = new int[idx.length];
          for (int i = 0; i < idx.length; i++) {
            labels[i] = y[idx[i]];
          }
        }
        GanTrainer.StepLosses s = gt.step(xg.take(0, idx), labels);
        losses.get("discriminator").add(s.discriminator());
        losses.get("generator").add(s.generator());
      }
      step++;
      windowImages += idx.length;
      afterStep.accept(step);
      bar.update(step - (long) epoch * perEpoch, perEpoch);
      boolean epochEnd = step % perEpoch == 0;
      boolean last = step == total || stop.get();
      if (epochEnd || last) {
        if (epochEnd) {
          bar.finish();
        }
        double dt = (System.nanoTime() - windowStart) / 1e9;
        seconds += dt;
        printEpoch(
            epoch,
            epochs,
            step,
            perEpoch,
            losses,
            windowImages / dt,
            (total - step) * dt / (step - windowFrom));
        save(step, seconds, losses, vt, gt, keep);
        String name = epochEnd ? "epoch_" + (epoch + 1) : "step_" + step;
        writeSamples(vae, gan, run.resolve("samples").resolve(name + ".png"));
        windowStart = System.nanoTime();
        windowFrom = step;
        windowImages = 0;
      }
    }
    return step >= total;
  }

  private void printEpoch(
      int epoch,
      int epochs,
      int step,
      int perEpoch,
      Map<String, List<Double>> losses,
      double imagesPerSecond,
      double etaSeconds) {
    int from = epoch * perEpoch;
    StringBuilder line = new StringBuilder();
    line.append(String.format(Locale.ROOT, "epoch %d/%d  step %d", epoch + 1, epochs, step));
    for (Map.Entry<String, List<Double>> e : losses.entrySet()) {
      double sum = 0;
      for (double v : e.getValue().subList(from, step)) {
        sum += v;
      }
      String name = e.getKey().equals("loss") ? "-ELBO" : e.getKey();
      line.append(String.format(Locale.ROOT, "  %s %.4f", name, sum / (step - from)));
    }
    line.append(
        String.format(
            Locale.ROOT,
            "  %.0f img/s  ETA %s",
            imagesPerSecond,
            ProgressBar.duration(etaSeconds)));
    out.println(line);
    out.flush();
  }

  private void save(
      int step,
      double seconds,
      Map<String, List<Double>> losses,
      VaeTrainer vt,
      GanTrainer gt,
      int keep)
      throws IOException {
    Path dir = run.resolve("checkpoints");
    Files.createDirectories(dir);
    Path json = LatentCheckpoint.jsonFor(dir, cfg.method(), step);
    if (vt != null) {
      vt.save(LatentCheckpoint.weightsOf(json));
    } else {
      gt.save(LatentCheckpoint.weightsOf(json));
    }
    new LatentCheckpoint(step, seconds, losses).write(json);
    LatentCheckpoint.prune(dir, keep);
    Path png = run.resolve("loss.png");
    if (vt != null) {
      Charts.lossCurve(
          losses.get("loss"), "VAE negative ELBO per step, nats (" + cfg.data() + ")", png);
    } else {
      Charts.lossCurves(losses, "GAN losses (" + cfg.data() + ")", png);
    }
  }

  /** 8 x 8 samples, or 8 per class in a row per class, from a fixed seed. */
  private void writeSamples(Vae vae, Dcgan gan, Path png) throws IOException {
    int cols = 8;
    int count = cfg.numClasses() > 0 ? cfg.numClasses() * cols : 64;
    LatentRun r = new LatentRun(cfg, vae, gan, 0, null, run);
    // labels i k / count = i / cols: row r is class r
    Tensor images = r.sample(count, r.labels(count, null), new Rng(cfg.seed() + 1));
    Files.createDirectories(png.getParent());
    SampleGrid.write(png, images, cols);
  }
}
