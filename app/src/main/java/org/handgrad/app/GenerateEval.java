package org.handgrad.app;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.handgrad.app.generate.GenData;
import org.handgrad.app.generate.GenRun;
import org.handgrad.app.generate.LatentRun;
import org.handgrad.app.generate.SampleQuality;
import org.handgrad.app.generate.Samplers;
import org.handgrad.app.report.HtmlReport;
import org.handgrad.app.train.TrainedModel;
import org.handgrad.data.Dataset;
import org.handgrad.data.Split;
import org.handgrad.io.AtomicFiles;
import org.handgrad.io.Json;
import org.handgrad.models.diffusion.Conditioning;
import org.handgrad.models.diffusion.SampleProgress;
import org.handgrad.models.vae.VaeTrainer;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Rng;
import org.handgrad.tensor.Tensor;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code generate eval}: sample quality measured with a handgrad classifier. Prints (a) the Frechet
 * distance between N samples and N real test images in the classifier's penultimate features, (b)
 * the real-versus-real floor (N training images against the same test images), (c) for a
 * conditional run, the fraction of samples the classifier assigns to the requested class; writes
 * them to {@code RUN/eval/<sampler>_<steps>_w<w>_n<N>.json}. A GAN's samples are judged the same
 * way; a VAE's too when a classifier is given, and its test ELBO and importance-sampled NLL are
 * added ({@code RUN/eval/<method>_step<S>_n<N>.json}).
 */
@Command(
    name = "eval",
    description =
        "Frechet distance (in a handgrad classifier's penultimate features) and class accuracy"
            + " of a generate run's samples.")
final class GenerateEval implements Callable<Integer> {
  @Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "Show this help message and exit.")
  boolean help;

  @Option(names = "--checkpoint", required = true, description = "A generate run folder.")
  Path checkpoint;

  @Option(
      names = "--classifier",
      description =
          "A './handgrad train' run of a bn-cnn on the same data (its best parameters); required"
              + " except for a vae, whose ELBO and NLL need none.")
  Path classifier;

  @Option(
      names = "--k",
      defaultValue = "100",
      description =
          "vae: importance samples per test image of the NLL (default: ${DEFAULT-VALUE}).")
  int k;

  @Option(
      names = "--n",
      defaultValue = "10000",
      description = "Samples, and real images per set (default: ${DEFAULT-VALUE}).")
  int n;

  @Option(names = "--sampler", description = "As for 'generate sample' (default ddim / euler).")
  String sampler;

  @Option(names = "--steps", description = "Sampler steps (default 50; ddpm: T).")
  Integer steps;

  @Option(names = "--eta", defaultValue = "0", description = "DDIM's eta (default 0).")
  double eta;

  @Option(names = "--guidance", description = "w (default 3 when trained with label dropping).")
  Double guidance;

  @Option(names = "--batch", defaultValue = "100", description = "Samples per sampler call.")
  int batch;

  @Option(names = "--seed", defaultValue = "0", description = "Default: ${DEFAULT-VALUE}.")
  long seed;

  @Option(names = "--data-dir", description = "Where datasets live (default: ~/.handgrad/data).")
  Path dataDir;

  @Override
  public Integer call() {
    PrintWriter w = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    try {
      if (n < 2 || batch < 1) {
        throw new IllegalArgumentException("--n must be >= 2 and --batch >= 1");
      }
      if (LatentRun.isLatentRun(checkpoint)) {
        return evalLatent(w, err);
      }
      if (classifier == null) {
        throw new IllegalArgumentException("--classifier is required for a ddpm or flow run");
      }
      GenRun run = GenRun.load(checkpoint, true);
      Samplers.Choice choice = Samplers.choose(run.config(), sampler, steps, eta);
      Conditioning all = Samplers.conditioning(run.config(), n, null, guidance);
      SampleQuality q =
          new SampleQuality(TrainedModel.load(classifier, false), run.config().imageShape());
      Dataset d = GenData.load(run.config().data(), n, n, dataDir, err);
      if (d.test().size() < n || d.train().size() < n) {
        throw new IllegalArgumentException(
            "--n " + n + " is more than the " + d.test().size() + " test images");
      }
      w.println("classifier: " + q.describe());
      w.flush();
      int[] shape = run.config().imageShape();
      Tensor samples = Tensor.zeros(run.config().unet().dtype(), n, shape[0], shape[1], shape[2]);
      ProgressBar bar =
          new ProgressBar(err, "sampling", ProgressBar.Unit.ITEMS, false, System::nanoTime);
      Rng rng = new Rng(seed);
      long t0 = System.nanoTime();
      for (int from = 0; from < n; from += batch) {
        int to = Math.min(n, from + batch);
        int[] labels =
            all.labels() == null ? null : java.util.Arrays.copyOfRange(all.labels(), from, to);
        Conditioning c = labels == null ? all : Conditioning.classes(labels, all.guidance());
        int done = from;
        SampleProgress p = (k, total) -> bar.update(done + (long) (to - done) * k / total, n);
        Tensor x =
            Samplers.sample(
                run.config(),
                run.net(),
                choice,
                new int[] {to - from, shape[0], shape[1], shape[2]},
                c,
                null,
                p,
                rng);
        samples.slice(0, from, to).copyFrom(x);
      }
      bar.finish();
      double sampleSeconds = (System.nanoTime() - t0) / 1e9;
      Map<String, Object> result = new LinkedHashMap<>();
      result.put("checkpoint", run.checkpoint().toString());
      result.put("step", run.step());
      result.put("sampler", choice.sampler());
      result.put("steps", choice.steps());
      result.put("eta", choice.eta());
      result.put("guidance", all.labels() == null ? null : all.guidance());
      result.put("n", n);
      result.put("sampling_seconds", sampleSeconds);
      w.printf(
          Locale.ROOT,
          "%d samples (%s, %d steps%s) in %.1f s%n",
          n,
          choice.sampler(),
          choice.steps(),
          all.labels() == null ? "" : ", guidance w=" + all.guidance(),
          sampleSeconds);
      judge(q, samples, all.labels(), d, run.config().unet().dtype(), result, w);
      Path dir = run.folder().resolve("eval");
      Files.createDirectories(dir);
      Path json =
          dir.resolve(
              String.format(
                  Locale.ROOT,
                  "%s_%d_w%s_n%d.json",
                  choice.sampler(),
                  choice.steps(),
                  all.labels() == null ? "none" : Double.toString(all.guidance()),
                  n));
      AtomicFiles.write(json, Json.writePretty(result).getBytes(StandardCharsets.UTF_8));
      w.println("wrote " + json);
      w.println("updated " + HtmlReport.write(run.folder()));
      return 0;
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
    } catch (IOException e) {
      err.println("error: " + Errors.describe(e));
      return 1;
    }
  }

  /**
   * Reads the samples and n test and n training images with the classifier, prints and records the
   * Frechet distance, its real-versus-real floor and (labels given) the class accuracy.
   *
   * @param samples images in [-1, 1], (n, C, H, W)
   * @param labels the requested class of each sample, or null
   */
  private void judge(
      SampleQuality q,
      Tensor samples,
      int[] labels,
      Dataset d,
      DType dtype,
      Map<String, Object> result,
      PrintWriter w) {
    SampleQuality.Read gen = q.read(samples, 200, i -> {});
    Tensor test = GenData.toModelRange(d.test().range(0, n), dtype).x();
    Split trainSplit = GenData.toModelRange(d.train().range(0, n), dtype);
    SampleQuality.Read real = q.read(test, 200, i -> {});
    SampleQuality.Read floorSet = q.read(trainSplit.x(), 200, i -> {});
    double fd = SampleQuality.frechet(gen.features(), real.features());
    double floor = SampleQuality.frechet(floorSet.features(), real.features());
    result.put("classifier", classifier.toString());
    result.put("features", "penultimate layer of the classifier, width " + gen.features().shape(1));
    result.put("frechet_distance", fd);
    result.put("frechet_distance_real_floor", floor);
    w.printf(
        Locale.ROOT,
        "Frechet distance in the classifier's penultimate features: %.4f (samples vs %d test"
            + " images)%n",
        fd,
        n);
    w.printf(Locale.ROOT, "real-versus-real floor: %.4f (%d training vs test images)%n", floor, n);
    if (labels != null) {
      double acc = SampleQuality.accuracy(gen.predicted(), labels);
      result.put("class_accuracy", acc);
      w.printf(
          Locale.ROOT, "class accuracy of the samples under the classifier: %.2f%%%n", 100 * acc);
    }
  }

  /**
   * A VAE or GAN: n samples in one pass each judged like the U-Net's (when a classifier is given);
   * for a VAE also the test ELBO (one draw per image) and the importance-sampled NLL with K samples
   * over the first n test images.
   */
  private Integer evalLatent(PrintWriter w, PrintWriter err) throws IOException {
    if (sampler != null || steps != null || eta != 0 || guidance != null) {
      throw new IllegalArgumentException(
          "--sampler, --steps, --eta and --guidance are for ddpm and flow runs");
    }
    if (k < 1) {
      throw new IllegalArgumentException("--k must be >= 1, got " + k);
    }
    LatentRun run = LatentRun.load(checkpoint);
    boolean isVae = run.vae() != null;
    if (classifier == null && !isVae) {
      throw new IllegalArgumentException("--classifier is required for a gan run");
    }
    SampleQuality q =
        classifier == null
            ? null
            : new SampleQuality(TrainedModel.load(classifier, false), run.config().imageShape());
    Dataset d = GenData.load(run.config().data(), n, n, dataDir, err);
    if (d.test().size() < n || d.train().size() < n) {
      throw new IllegalArgumentException(
          "--n " + n + " is more than the " + d.test().size() + " test images");
    }
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("checkpoint", run.checkpoint().toString());
    result.put("step", run.step());
    result.put("method", run.config().method());
    result.put("n", n);
    if (q != null) {
      w.println("classifier: " + q.describe());
      int[] labels = run.labels(n, null);
      int[] shape = run.config().imageShape();
      Tensor samples = Tensor.zeros(DType.FLOAT32, n, shape[0], shape[1], shape[2]);
      Rng rng = new Rng(seed);
      long t0 = System.nanoTime();
      for (int from = 0; from < n; from += batch) {
        int to = Math.min(n, from + batch);
        int[] l = labels == null ? null : java.util.Arrays.copyOfRange(labels, from, to);
        samples.slice(0, from, to).copyFrom(run.sample(to - from, l, rng));
      }
      double sampleSeconds = (System.nanoTime() - t0) / 1e9;
      result.put("sampling_seconds", sampleSeconds);
      w.printf(
          Locale.ROOT,
          "%d samples of the %s%s in %.1f s%n",
          n,
          run.config().method(),
          labels != null ? " (an equal share of each class)" : "",
          sampleSeconds);
      judge(q, samples, labels, d, DType.FLOAT32, result, w);
    }
    if (isVae) {
      Tensor test = d.test().range(0, n).x();
      if (test.dtype() != DType.FLOAT32) {
        test = test.to(DType.FLOAT32);
      }
      long t0 = System.nanoTime();
      double elbo = VaeTrainer.meanElbo(run.vae(), test, batch, new Rng(seed + 1));
      double logLik = VaeTrainer.meanLogLikelihood(run.vae(), test, k, batch, new Rng(seed + 2));
      result.put("test_elbo_nats", elbo);
      result.put("test_nll_nats", -logLik);
      result.put("importance_samples", k);
      result.put("likelihood_seconds", (System.nanoTime() - t0) / 1e9);
      w.printf(Locale.ROOT, "test ELBO: %.3f nats per image (%d test images)%n", elbo, n);
      w.printf(
          Locale.ROOT,
          "test NLL, importance-sampled with K = %d: %.3f nats per image%n",
          k,
          -logLik);
    }
    Path dir = run.folder().resolve("eval");
    Files.createDirectories(dir);
    Path json =
        dir.resolve(
            String.format(Locale.ROOT, "%s_step%d_n%d.json", run.config().method(), run.step(), n));
    AtomicFiles.write(json, Json.writePretty(result).getBytes(StandardCharsets.UTF_8));
    w.println("wrote " + json);
    w.println("updated " + HtmlReport.write(run.folder()));
    return 0;
  }
}
