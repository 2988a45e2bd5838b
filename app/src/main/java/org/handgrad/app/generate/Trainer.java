package org.handgrad.app.generate;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import org.handgrad.app.ProgressBar;
import org.handgrad.app.report.Charts;
import org.handgrad.data.Split;
import org.handgrad.models.diffusion.Conditioning;
import org.handgrad.models.diffusion.DenoiserLoss;
import org.handgrad.models.diffusion.Ema;
import org.handgrad.models.diffusion.GaussianDiffusion;
import org.handgrad.models.diffusion.RectifiedFlow;
import org.handgrad.models.diffusion.SampleProgress;
import org.handgrad.models.diffusion.UNet;
import org.handgrad.nn.Parameter;
import org.handgrad.optim.Adam;
import org.handgrad.optim.Optimizer;
import org.handgrad.tensor.Rng;
import org.handgrad.tensor.Tensor;

/**
 * The training loop of {@code generate train}: for each step a batch in a seeded per-epoch order,
 * the DDPM or flow loss with its hand-written backward through the U-Net, an Adam step, an EMA
 * update; progress lines, checkpoints, the loss plot and sample grids along the way.
 *
 * <p>Files in the run folder: {@code config.json}, {@code checkpoints/gen_step_<S>.*} ({@link
 * GenCheckpoint}), {@code loss.png}, {@code samples/step_<S>.png} (EMA weights, a fixed seed, so
 * that grids of different steps compare).
 */
public final class Trainer {
  /**
   * How often to do what, in steps.
   *
   * @param sampleEvery 0 = a grid only at the end
   * @param sampleSteps sampler steps of the preview grids (DDIM or Euler)
   */
  public record Schedule(
      int iters, int logEvery, int checkpointEvery, int sampleEvery, int sampleSteps, int keep) {}

  private final GenConfig cfg;
  private final Path run;
  private final Split train;
  private final PrintWriter out;
  private final AtomicBoolean stop;

  /**
   * @param train training images in [-1, 1], the U-Net's dtype, (N, C, H, W)
   * @param stop set (by a signal handler) to end after the current step with a checkpoint
   */
  public Trainer(GenConfig cfg, Path run, Split train, PrintWriter out, AtomicBoolean stop) {
    this.cfg = cfg;
    this.run = run;
    this.train = train;
    this.out = out;
    this.stop = stop;
  }

  /**
   * Trains until {@code s.iters()} steps are done (counting those of a resumed checkpoint) or a
   * stop is requested.
   *
   * @param resume the checkpoint to continue from, or null for a fresh start
   * @return true when all steps are done, false when stopped early
   */
  public boolean run(Schedule s, GenCheckpoint resume) throws IOException {
    UNet net = new UNet(cfg.unet());
    List<Parameter> params = net.parameters();
    Optimizer opt = new Optimizer(new Adam(cfg.learningRate(), 0.9, 0.999, 1e-8));
    Ema ema = new Ema(params, cfg.emaDecay());
    Rng rng = new Rng(cfg.seed());
    int step = 0;
    List<Double> losses = new ArrayList<>();
    double seconds = 0;
    if (resume != null) {
      for (Parameter p : params) {
        Tensor v = resume.model().get(p.name());
        if (v == null) {
          throw new IOException("checkpoint lacks parameter '" + p.name() + "'");
        }
        p.assign(v);
      }
      ema.load(resume.ema());
      opt.loadStateDict(resume.optimizer(), params);
      rng.setState(resume.rngState());
      step = resume.step();
      losses.addAll(resume.lossHistory());
      seconds = resume.seconds();
      out.println("resumed at step " + step + " of " + s.iters());
    }
    GaussianDiffusion ddpm = cfg.isDdpm() ? cfg.diffusion() : null;
    RectifiedFlow flow = cfg.isDdpm() ? null : cfg.flow();
    int n = train.size();
    int b = cfg.batchSize();
    if (b > n) {
      throw new IllegalArgumentException(
          "--batch-size " + b + " is larger than the " + n + " training images");
    }
    int perEpoch = n / b; // the last partial batch is dropped, as the reference loop does
    int[] perm = null;
    int permEpoch = -1;
    boolean conditional = cfg.unet().numClasses() > 0;
    long windowStart = System.nanoTime();
    int windowFrom = step;
    double windowLoss = 0;
    UNet emaNet = null;
    while (step < s.iters() && !stop.get()) {
      int epoch = step / perEpoch;
      if (epoch != permEpoch) {
        perm = epochOrder(cfg.seed(), epoch, n);
        permEpoch = epoch;
      }
      int from = (step % perEpoch) * b;
      int[] idx = java.util.Arrays.copyOfRange(perm, from, from + b);
      Split batch = train.take(idx);
      for (Parameter p : params) {
        p.zeroGrad();
      }
      int[] y = conditional ? batch.y() : null;
      DenoiserLoss loss =
          ddpm != null
              ? ddpm.trainingLoss(net, batch.x(), y, cfg.condDrop(), rng)
              : flow.trainingLoss(net, batch.x(), y, cfg.condDrop(), rng);
      if (!Double.isFinite(loss.value())) {
        throw new IllegalStateException(
            "generate train: the loss is " + loss.value() + " at step " + (step + 1));
      }
      opt.step(params);
      ema.update(params);
      step++;
      losses.add(loss.value());
      windowLoss += loss.value();
      boolean last = step == s.iters() || stop.get();
      if (step % s.logEvery() == 0 || last) {
        long now = System.nanoTime();
        double dt = (now - windowStart) / 1e9;
        seconds += dt;
        int done = step - windowFrom;
        double perStep = dt / done;
        out.printf(
            Locale.ROOT,
            "step %d/%d  loss %.4f  %.1f img/s  ETA %s%n",
            step,
            s.iters(),
            windowLoss / done,
            b / perStep,
            ProgressBar.duration(perStep * (s.iters() - step)));
        out.flush();
        windowStart = now;
        windowFrom = step;
        windowLoss = 0;
      }
      if (step % s.checkpointEvery() == 0 || last) {
        save(step, rng, losses, seconds, params, ema, opt, s.keep());
      }
      if (last || (s.sampleEvery() > 0 && step % s.sampleEvery() == 0)) {
        if (emaNet == null) {
          emaNet = new UNet(cfg.unet());
        }
        ema.copyTo(emaNet.parameters());
        writeSamples(
            emaNet, s.sampleSteps(), run.resolve("samples").resolve("step_" + step + ".png"));
      }
    }
    return step >= s.iters();
  }

  /**
   * The order of epoch {@code epoch}'s images: a permutation drawn from a stream seeded by the run
   * seed and the epoch alone, so a resumed run needs no saved permutation.
   */
  static int[] epochOrder(long seed, int epoch, int n) {
    return new Rng(seed * 0x9E3779B97F4A7C15L + epoch + 1).permutation(n);
  }

  private void save(
      int step,
      Rng rng,
      List<Double> losses,
      double seconds,
      List<Parameter> params,
      Ema ema,
      Optimizer opt,
      int keep)
      throws IOException {
    java.util.Map<String, Tensor> model = new java.util.LinkedHashMap<>();
    for (Parameter p : params) {
      model.put(p.name(), p.value());
    }
    Path dir = run.resolve("checkpoints");
    new GenCheckpoint(step, rng.getState(), losses, seconds, model, ema.shadow(), opt.stateDict())
        .write(dir);
    GenCheckpoint.prune(dir, keep);
    Charts.lossCurve(
        losses, cfg.method() + " training loss (" + cfg.data() + ")", run.resolve("loss.png"));
  }

  /**
   * A preview grid with the default sampler: one row per class (guided when the run drops labels)
   * or 8 x 8 unconditional samples, from a fixed seed.
   */
  void writeSamples(UNet net, int steps, Path png) throws IOException {
    int k = cfg.unet().numClasses();
    int cols = 8;
    int count = k > 0 ? k * cols : 64;
    int[] shape = cfg.imageShape();
    Conditioning c;
    if (k > 0) {
      int[] labels = new int[count];
      for (int i = 0; i < count; i++) {
        labels[i] = i / cols; // row r is class r
      }
      c = Conditioning.classes(labels, cfg.condDrop() > 0 ? 3.0 : 1.0);
    } else {
      c = Conditioning.unconditional();
    }
    Samplers.Choice choice =
        Samplers.choose(cfg, null, cfg.isDdpm() ? Math.min(steps, cfg.timesteps()) : steps, 0);
    Tensor x =
        Samplers.sample(
            cfg,
            net,
            choice,
            new int[] {count, shape[0], shape[1], shape[2]},
            c,
            null,
            SampleProgress.NONE,
            new Rng(cfg.seed() + 1));
    Files.createDirectories(png.getParent());
    SampleGrid.write(png, x, cols);
  }
}
