package org.handgrad.app;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.handgrad.app.caption.CaptionGrid;
import org.handgrad.app.report.Charts;
import org.handgrad.app.report.HtmlReport;
import org.handgrad.data.DataDirs;
import org.handgrad.data.Dataset;
import org.handgrad.data.Mnist;
import org.handgrad.data.Split;
import org.handgrad.data.caption.SyntheticCaptions;
import org.handgrad.data.caption.SyntheticCaptions.SplitKind;
import org.handgrad.data.caption.Vocab;
import org.handgrad.io.AtomicFiles;
import org.handgrad.io.Json;
import org.handgrad.models.clip.Clip;
import org.handgrad.models.clip.ClipConfig;
import org.handgrad.models.clip.ClipData;
import org.handgrad.models.clip.ClipPairs;
import org.handgrad.models.clip.ClipTrainer;
import org.handgrad.models.clip.Embeddings;
import org.handgrad.models.clip.Prompts;
import org.handgrad.models.clip.Retrieval;
import org.handgrad.models.clip.ZeroShot;
import org.handgrad.models.vit.VisionTransformer;
import org.handgrad.nn.functional.ClipLoss;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code ./handgrad clip}: CLIP (Radford et al. 2021) trained from scratch on paired data available
 * offline, then used for zero-shot classification and text-to-image retrieval.
 *
 * <p>{@code train} writes into its run folder (--out): the checkpoint (model.safetensors,
 * optimizer.safetensors, config.json), metrics.jsonl (one line per logged step), loss.png and
 * metrics.json (the held-out evaluation); {@code --resume} continues the run in that folder
 * exactly, {@code --bench} only times training steps. {@code zeroshot} classifies held-out images
 * from label prompts; {@code retrieve} ranks held-out images for a text and writes a PNG grid.
 * Results go to standard output, progress and errors to standard error; exit codes 0 done, 1
 * failed, 2 bad usage.
 */
@Command(
    name = "clip",
    description =
        "CLIP: contrastive image-text training on shape scenes or Fashion-MNIST, zero-shot"
            + " classification from prompts, text-to-image retrieval.",
    subcommands = {
      ClipCommand.Train.class,
      ClipCommand.ZeroShotCmd.class,
      ClipCommand.Retrieve.class
    })
public final class ClipCommand implements Runnable {
  @Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "Show this help message and exit.")
  boolean help;

  /** Final evaluation of a training run. */
  static final String METRICS_FILE = "metrics.json";

  /** One JSON object per logged step. */
  static final String METRICS_LOG = "metrics.jsonl";

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  // ---------------------------------------------------------------- data

  /** The paired data of a run, rebuilt from what the checkpoint stores about it. */
  record Task(
      String kind,
      Vocab vocab,
      int contextLength,
      int channels,
      int imageSize,
      Map<String, Object> info,
      SyntheticCaptions.Config shapes,
      boolean shapeTwins,
      Path dataDir) {

    static Task shapes(int numTrain, int numTest, int size, long seed, boolean shapeTwins) {
      SyntheticCaptions.Config c =
          new SyntheticCaptions.Config(numTrain, numTest, numTest, size, true, seed);
      Map<String, Object> info = new LinkedHashMap<>();
      info.put("data", "shapes");
      info.put("num_train", numTrain);
      info.put("num_test", numTest);
      info.put("size", size);
      info.put("seed", seed);
      if (shapeTwins) {
        info.put("shape_twins", true); // older checkpoints have no key: no twins
      }
      return new Task(
          "shapes",
          SyntheticCaptions.vocab(),
          SyntheticCaptions.CAPTION_LENGTH,
          3,
          size,
          info,
          c,
          shapeTwins,
          null);
    }

    static Task fashion(Path dataDir) {
      Map<String, Object> info = new LinkedHashMap<>();
      info.put("data", "fashion-mnist");
      info.put("data_dir", dataDir.toString());
      return new Task(
          "fashion-mnist",
          ClipData.fashionVocab(Mnist.FASHION),
          ClipData.FASHION_CONTEXT,
          1,
          28,
          info,
          null,
          false,
          dataDir);
    }

    static Task of(Map<String, Object> info) {
      Object kind = info.get("data");
      if ("shapes".equals(kind)) {
        return shapes(
            num(info, "num_train"),
            num(info, "num_test"),
            num(info, "size"),
            ((Number) info.get("seed")).longValue(),
            Boolean.TRUE.equals(info.get("shape_twins")));
      }
      if ("fashion-mnist".equals(kind)) {
        return fashion(Path.of((String) info.get("data_dir")));
      }
      throw new IllegalArgumentException("clip: the checkpoint names unknown data " + kind);
    }

    private static int num(Map<String, Object> m, String k) {
      return ((Number) m.get(k)).intValue();
    }

    Dataset fashionData() throws IOException {
      return Mnist.loadFashion(dataDir);
    }

    ClipPairs trainPairs() throws IOException {
      if (shapes != null) {
        return shapeTwins
            ? ClipData.shapeTwins(shapes, SplitKind.TRAIN)
            : ClipData.shapes(shapes, SplitKind.TRAIN);
      }
      Split s = fashionData().train();
      return ClipData.fashion(s, vocab);
    }

    /** Default zero-shot classes and templates. */
    List<String> classNames() {
      return shapes != null
          ? ClipData.shapeClasses()
          : Mnist.FASHION.stream().map(Prompts::normalize).toList();
    }

    List<String> templates() {
      return shapes != null ? ClipData.SHAPE_TEMPLATES : ClipData.FASHION_TEMPLATES;
    }

    /** Held-out images with zero-shot labels (-1: none) and a caption each. */
    record HeldOut(String name, Tensor images, int[] labels, Tensor captions, List<String> texts) {}

    HeldOut heldOut(String split, int limit) throws IOException {
      if (shapes != null) {
        SplitKind kind =
            switch (split) {
              case "test" -> SplitKind.TEST;
              case "novel" -> SplitKind.NOVEL;
              default ->
                  throw new IllegalArgumentException(
                      "clip: unknown split '" + split + "' for shapes; known: test, novel");
            };
        ClipPairs p = ClipData.shapes(shapes, kind);
        int[] labels = ClipData.shapeLabels(shapes, kind);
        int n = Math.min(limit, p.numImages());
        int[] idx = new int[n];
        Arrays.setAll(idx, i -> i);
        ClipPairs.Batch b = p.firstCaptions(idx);
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          texts.add(vocab.decodeCaption(b.tokens().select(0, i).toIntArray()));
        }
        return new HeldOut(split, b.images(), Arrays.copyOf(labels, n), b.tokens(), texts);
      }
      if (!split.equals("test")) {
        throw new IllegalArgumentException(
            "clip: Fashion-MNIST has one held-out split, test; got '" + split + "'");
      }
      Split s = fashionData().test();
      int n = Math.min(limit, s.size());
      Tensor x = s.x().slice(0, 0, n).contiguous();
      int[] y = Arrays.copyOf(s.y(), n);
      List<String> texts = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        texts.add(Prompts.fill(ClipData.FASHION_TEMPLATES.get(0), classNames().get(y[i])));
      }
      return new HeldOut("test", x, y, Prompts.encode(vocab, texts, contextLength), texts);
    }
  }

  /** Zero-shot accuracy of a model on held-out images with the default classes and templates. */
  static double zeroShotAccuracy(Clip model, Task task, Task.HeldOut h) {
    Tensor classes =
        ZeroShot.classEmbeddings(model, task.vocab(), task.classNames(), task.templates());
    int[] pred = ZeroShot.predict(Embeddings.images(model, h.images()), classes);
    return ZeroShot.accuracy(pred, h.labels());
  }

  /** Text-to-image recall@k for k = 1, 5: every image's first caption against all the images. */
  static double[] recall(Clip model, Task.HeldOut h) {
    Tensor sim =
        ClipLoss.similarityNoLoop(
            Embeddings.texts(model, h.captions()), Embeddings.images(model, h.images()));
    int[] targets = new int[h.captions().shape(0)];
    Arrays.setAll(targets, i -> i);
    return new double[] {
      Retrieval.recallAtK(sim, targets, 1), Retrieval.recallAtK(sim, targets, 5)
    };
  }

  /** The evaluation written to metrics.json and printed after training. */
  static Map<String, Object> evaluate(Clip model, Task task, int evalSize, PrintWriter o)
      throws IOException {
    Map<String, Object> m = new LinkedHashMap<>();
    List<String> splits = task.shapes() != null ? List.of("test", "novel") : List.of("test");
    for (String split : splits) {
      Task.HeldOut h = task.heldOut(split, evalSize);
      double acc = zeroShotAccuracy(model, task, h);
      m.put(split + "_zeroshot_accuracy", acc);
      long labelled = Arrays.stream(h.labels()).filter(y -> y >= 0).count();
      String line =
          String.format(
              Locale.ROOT,
              "%s (%d images): zero-shot accuracy %.4f over %d labelled images (%d classes, %d"
                  + " templates)",
              split,
              h.images().shape(0),
              acc,
              labelled,
              task.classNames().size(),
              task.templates().size());
      if (task.shapes() != null) {
        double[] r = recall(model, h);
        m.put(split + "_recall_at_1", r[0]);
        m.put(split + "_recall_at_5", r[1]);
        line +=
            String.format(Locale.ROOT, "; text-to-image recall@1 %.4f recall@5 %.4f", r[0], r[1]);
      }
      o.println(line);
      o.flush();
    }
    return m;
  }

  // ---------------------------------------------------------------- train

  /** {@code clip train}. */
  @Command(
      name = "train",
      mixinStandardHelpOptions = true,
      description =
          "Train a CLIP from scratch; write the checkpoint, metrics.jsonl, loss.png and the"
              + " held-out evaluation (metrics.json) into --out.")
  static final class Train implements Callable<Integer> {
    @ParentCommand ClipCommand parent;

    @Option(names = "--data", defaultValue = "shapes", description = "shapes or fashion-mnist")
    String data;

    @Option(names = "--out", description = "run folder (default runs/clip-DATA)")
    Path out;

    @Option(names = "--resume", description = "continue the run in --out from its checkpoint")
    boolean resume;

    @Option(
        names = "--bench",
        description = "time --steps training steps after 3 warm-up steps (no files written)")
    boolean bench;

    @Option(names = "--data-dir", description = "Fashion-MNIST folder (default: handgrad's)")
    Path dataDir;

    @Option(names = "--train-size", defaultValue = "10000", description = "shape scenes")
    int trainSize;

    @Option(names = "--eval-size", defaultValue = "1000", description = "held-out images")
    int evalSize;

    @Option(names = "--image-size", defaultValue = "32", description = "shape scene side")
    int imageSize;

    @Option(names = "--data-seed", defaultValue = "0", description = "shape scene seed")
    long dataSeed;

    @Option(
        names = "--shape-twins",
        description =
            "shapes: train on every scene and its shape twin (one object's shape changed) in the"
                + " same batch, hard negatives that make the encoders see shape")
    boolean shapeTwins;

    @Option(names = "--patch", defaultValue = "8", description = "ViT patch (7 for 28x28)")
    int patch;

    @Option(
        names = "--stem",
        defaultValue = "patch",
        description =
            "image tokens: patch (one PxP convolution, CLIP's) or conv (3x3 stride-2 conv-BN-ReLU"
                + " layers, Xiao et al.; P a power of two)")
    String stem;

    @Option(
        names = "--image-encoder",
        defaultValue = "vit",
        description =
            "vit (the settings above) or resnet (a CIFAR-style ResNet of --resnet-widths, one"
                + " basic block per stage, average pool, linear projection)")
    String imageEncoder;

    @Option(
        names = "--resnet-widths",
        split = ",",
        defaultValue = "32,64,128",
        description = "--image-encoder resnet: stage widths (${DEFAULT-VALUE})")
    int[] resnetWidths;

    @Option(names = "--width", defaultValue = "64", description = "both transformers' width")
    int width;

    @Option(names = "--depth", defaultValue = "2", description = "layers of each transformer")
    int depth;

    @Option(names = "--heads", defaultValue = "4", description = "attention heads")
    int heads;

    @Option(names = "--embed-dim", defaultValue = "64", description = "joint embedding E")
    int embedDim;

    @Option(names = "--steps", defaultValue = "2000", description = "optimizer steps")
    int steps;

    @Option(names = "--batch-size", defaultValue = "128", description = "pairs per step")
    int batchSize;

    @Option(names = "--lr", defaultValue = "1e-3", description = "peak learning rate")
    double lr;

    @Option(names = "--weight-decay", defaultValue = "0.1", description = "AdamW decay")
    double weightDecay;

    @Option(names = "--warmup", defaultValue = "100", description = "warm-up steps")
    int warmup;

    @Option(names = "--seed", defaultValue = "0", description = "weights and batches")
    long seed;

    @Option(
        names = "--minutes",
        defaultValue = "0",
        description = "stop after this wall time (0: none)")
    double minutes;

    @Option(names = "--print-every", defaultValue = "50", description = "log interval")
    int printEvery;

    @Option(names = "--checkpoint-every", defaultValue = "200", description = "save interval")
    int checkpointEvery;

    @Override
    public Integer call() {
      return guarded(parent, "clip train", this::run);
    }

    private VisionTransformer.Stem stem() {
      try {
        return VisionTransformer.Stem.parse(stem);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--stem: expected patch or conv, got '" + stem + "'", e);
      }
    }

    /** The ResNet's stage widths, or none for the ViT. */
    private int[] resnetWidths() {
      return switch (imageEncoder) {
        case "vit" -> new int[0];
        case "resnet" -> resnetWidths;
        default ->
            throw new IllegalArgumentException(
                "--image-encoder: expected vit or resnet, got '" + imageEncoder + "'");
      };
    }

    private int run() throws IOException {
      PrintWriter o = parent.spec.commandLine().getOut();
      PrintWriter err = parent.spec.commandLine().getErr();
      Path dir = out != null ? out : Path.of("runs", "clip-" + data);
      ClipTrainer tr;
      Task task;
      if (resume) {
        tr = ClipTrainer.load(dir);
        task = Task.of(tr.dataInfo());
        o.printf(
            Locale.ROOT,
            "resuming %s at step %d of %d%n",
            dir,
            tr.iteration(),
            tr.options().steps());
      } else {
        if (shapeTwins && !data.equals("shapes")) {
          throw new IllegalArgumentException(
              "--shape-twins needs --data shapes (Fashion-MNIST images have no shape twins)");
        }
        task =
            switch (data) {
              case "shapes" -> Task.shapes(trainSize, evalSize, imageSize, dataSeed, shapeTwins);
              case "fashion-mnist" ->
                  Task.fashion(DataDirs.defaults(dataDir).datasetDir("fashion-mnist"));
              default ->
                  throw new IllegalArgumentException(
                      "unknown --data '" + data + "'; known: shapes, fashion-mnist");
            };
        ClipConfig config =
            new ClipConfig(
                task.channels(),
                task.imageSize(),
                patch,
                width,
                depth,
                heads,
                width,
                depth,
                heads,
                task.contextLength(),
                task.vocab().size(),
                task.vocab().endIndex(),
                embedDim,
                DType.FLOAT32,
                seed,
                stem(),
                resnetWidths());
        tr =
            new ClipTrainer(
                new Clip(config),
                task.vocab(),
                new ClipTrainer.Options(
                    bench ? steps + 3 : steps, batchSize, lr, weightDecay, warmup, seed),
                task.info());
      }
      long t0 = System.nanoTime();
      ClipPairs pairs = task.trainPairs();
      o.printf(
          Locale.ROOT,
          "%s: %d training images, %d captions, vocabulary %d, T = %d (%.1f s); model %d"
              + " parameters%n",
          task.kind(),
          pairs.numImages(),
          pairs.captions().shape(0),
          task.vocab().size(),
          task.contextLength(),
          (System.nanoTime() - t0) / 1e9,
          tr.model().parameterCount());
      o.flush();
      if (bench) {
        return bench(tr, pairs, o);
      }
      Files.createDirectories(dir);
      ProgressBar bar =
          new ProgressBar(
              err, "clip", ProgressBar.Unit.ITEMS, ProgressBar.interactive(), System::nanoTime);
      long start = System.nanoTime();
      int total = tr.options().steps();
      try (Writer log =
          Files.newBufferedWriter(
              dir.resolve(METRICS_LOG),
              StandardCharsets.UTF_8,
              StandardOpenOption.CREATE,
              StandardOpenOption.APPEND)) {
        while (tr.iteration() < total) {
          double loss = tr.step(pairs);
          int it = tr.iteration();
          bar.update(it, total);
          double elapsed = (System.nanoTime() - start) / 1e9;
          boolean outOfTime = minutes > 0 && elapsed > 60 * minutes;
          if (it % printEvery == 0 || it == total || outOfTime) {
            double temp = Math.exp(-Math.min(tr.model().scale(), ClipLoss.MAX_LOGIT_SCALE));
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("step", it);
            line.put("loss", loss);
            line.put("temperature", temp);
            line.put("lr", tr.options().learningRateAt(it - 1));
            line.put("seconds", elapsed);
            log.write(Json.write(line) + "\n");
            log.flush();
            if (!ProgressBar.interactive()) {
              bar.finish();
            }
            o.printf(
                Locale.ROOT,
                "(step %d / %d) loss %.4f  temperature %.4f  %.0f s%n",
                it,
                total,
                loss,
                temp,
                elapsed);
            o.flush();
          }
          if (it % checkpointEvery == 0 || outOfTime) {
            tr.save(dir);
          }
          if (outOfTime) {
            o.printf(Locale.ROOT, "stopping after %.1f minutes (--minutes)%n", elapsed / 60);
            break;
          }
        }
      }
      bar.finish();
      tr.save(dir);
      Charts.lossCurve(
          tr.lossHistory(), "clip " + task.kind() + ": training loss", dir.resolve("loss.png"));
      double wall = (System.nanoTime() - start) / 1e9;
      o.printf(Locale.ROOT, "trained %d steps in %.1f s; evaluating%n", tr.iteration(), wall);
      Map<String, Object> metrics = evaluate(tr.model(), task, evalSize, o);
      metrics.put("steps", tr.iteration());
      metrics.put("train_seconds_this_session", wall);
      writeJson(dir.resolve(METRICS_FILE), metrics);
      o.println("wrote " + dir + " (report: " + HtmlReport.write(dir) + ")");
      return 0;
    }

    private int bench(ClipTrainer tr, ClipPairs pairs, PrintWriter o) {
      int n = steps;
      double[] secs = new double[n];
      double loss = Double.NaN;
      for (int i = 0; i < 3; i++) {
        tr.step(pairs); // warm-up: JIT and allocation
      }
      for (int i = 0; i < n; i++) {
        long t = System.nanoTime();
        loss = tr.step(pairs);
        secs[i] = (System.nanoTime() - t) / 1e9;
      }
      double[] sorted = secs.clone();
      Arrays.sort(sorted);
      double median = sorted[n / 2];
      o.printf(
          Locale.ROOT,
          "bench: %d steps of batch %d after 3 warm-up steps: median %.4f s/step, %.1f img/s;"
              + " last loss %.4f%n",
          n,
          tr.options().batchSize(),
          median,
          tr.options().batchSize() / median,
          loss);
      return 0;
    }
  }

  // ---------------------------------------------------------------- zeroshot

  /** {@code clip zeroshot}. */
  @Command(
      name = "zeroshot",
      mixinStandardHelpOptions = true,
      description =
          "Zero-shot classification of held-out images into --labels from prompts (a class's"
              + " weights are its prompt embeddings, ensembled over the templates).")
  static final class ZeroShotCmd implements Callable<Integer> {
    @ParentCommand ClipCommand parent;

    @Option(names = "--checkpoint", required = true, description = "run folder of clip train")
    Path checkpoint;

    @Option(
        names = "--labels",
        split = ",",
        description = "class names (default: every class of the run's data)")
    List<String> labels;

    @Option(
        names = "--template",
        description = "prompt template with {} (repeatable; default: the data's ensemble)")
    List<String> templates;

    @Option(names = "--split", defaultValue = "novel", description = "test or novel (shapes)")
    String split;

    @Option(names = "--eval-size", defaultValue = "1000", description = "held-out images")
    int evalSize;

    @Option(names = "--show", defaultValue = "8", description = "predictions printed")
    int show;

    @Override
    public Integer call() {
      return guarded(parent, "clip zeroshot", this::run);
    }

    private int run() throws IOException {
      PrintWriter o = parent.spec.commandLine().getOut();
      ClipTrainer tr = ClipTrainer.load(checkpoint);
      Task task = Task.of(tr.dataInfo());
      List<String> classes =
          labels == null ? task.classNames() : labels.stream().map(Prompts::normalize).toList();
      List<String> temps = templates == null ? task.templates() : templates;
      Tensor classEmb = ZeroShot.classEmbeddings(tr.model(), task.vocab(), classes, temps);
      String sp = task.shapes() != null ? split : "test";
      Task.HeldOut h = task.heldOut(sp, evalSize);
      int[] pred = ZeroShot.predict(Embeddings.images(tr.model(), h.images()), classEmb);
      // True labels re-indexed into --labels; images of other classes are not scored.
      List<String> all = task.classNames();
      int[] truth = new int[pred.length];
      for (int i = 0; i < truth.length; i++) {
        truth[i] = h.labels()[i] < 0 ? -1 : classes.indexOf(all.get(h.labels()[i]));
      }
      for (int i = 0; i < Math.min(show, pred.length); i++) {
        o.printf(
            Locale.ROOT, "  image %d: %-18s (%s)%n", i, classes.get(pred[i]), h.texts().get(i));
      }
      long scored = Arrays.stream(truth).filter(y -> y >= 0).count();
      if (scored > 0) {
        o.printf(
            Locale.ROOT,
            "zero-shot accuracy on %s: %.4f (%d of %d images have a class among the %d labels;"
                + " %d templates)%n",
            sp,
            ZeroShot.accuracy(pred, truth),
            scored,
            pred.length,
            classes.size(),
            temps.size());
      } else {
        o.printf(Locale.ROOT, "no held-out image has a class among the labels; no accuracy%n");
      }
      return 0;
    }
  }

  // ---------------------------------------------------------------- retrieve

  /** {@code clip retrieve}. */
  @Command(
      name = "retrieve",
      mixinStandardHelpOptions = true,
      description =
          "Rank held-out images by cosine similarity to a text; print the top k and write a PNG"
              + " grid.")
  static final class Retrieve implements Callable<Integer> {
    @ParentCommand ClipCommand parent;

    @Option(names = "--checkpoint", required = true, description = "run folder of clip train")
    Path checkpoint;

    @Parameters(index = "0", description = "the text, e.g. \"a red circle above a blue square\"")
    String query;

    @Option(names = "--k", defaultValue = "8", description = "images shown")
    int k;

    @Option(names = "--split", defaultValue = "test", description = "test or novel (shapes)")
    String split;

    @Option(names = "--eval-size", defaultValue = "1000", description = "gallery images")
    int evalSize;

    @Option(names = "--grid", description = "PNG file (default CHECKPOINT/retrieve.png)")
    Path grid;

    @Override
    public Integer call() {
      return guarded(parent, "clip retrieve", this::run);
    }

    private int run() throws IOException {
      PrintWriter o = parent.spec.commandLine().getOut();
      ClipTrainer tr = ClipTrainer.load(checkpoint);
      Task task = Task.of(tr.dataInfo());
      Tensor tokens = Prompts.encode(task.vocab(), List.of(query), task.contextLength());
      Task.HeldOut h = task.heldOut(task.shapes() != null ? split : "test", evalSize);
      Tensor sim =
          ClipLoss.similarityNoLoop(
              Embeddings.texts(tr.model(), tokens), Embeddings.images(tr.model(), h.images()));
      int kk = Math.min(k, h.images().shape(0));
      int[] top = Retrieval.topK(sim, 0, kk);
      String q = String.join(" ", Vocab.tokenize(query));
      List<String> ranks = new ArrayList<>();
      List<String> captions = new ArrayList<>();
      List<Boolean> exact = new ArrayList<>();
      o.printf(
          Locale.ROOT,
          "top %d of %d %s images for \"%s\":%n",
          kk,
          h.images().shape(0),
          h.name(),
          q);
      for (int r = 0; r < kk; r++) {
        int i = top[r];
        String cap = h.texts().get(i);
        o.printf(Locale.ROOT, "  %d. image %d  cos %.4f  %s%n", r + 1, i, sim.get(0, i), cap);
        ranks.add(String.format(Locale.ROOT, "#%d cos %.3f", r + 1, sim.get(0, i)));
        captions.add(cap);
        exact.add(cap.equals(q));
      }
      Path png = grid != null ? grid : checkpoint.resolve("retrieve.png");
      CaptionGrid.write(
          png, h.images().take(0, top).contiguous(), ranks, captions, exact, "clip retrieve: " + q);
      o.println("wrote " + png);
      if (grid == null) {
        o.println("updated " + HtmlReport.write(checkpoint));
      }
      return 0;
    }
  }

  // ---------------------------------------------------------------- helpers

  interface Body {
    int run() throws IOException;
  }

  static int guarded(ClipCommand parent, String op, Body body) {
    try {
      return body.run();
    } catch (IOException | IllegalArgumentException | IllegalStateException e) {
      PrintWriter err = parent.spec.commandLine().getErr();
      err.println(op + ": " + Errors.message(e));
      err.flush();
      return 1;
    }
  }

  static void writeJson(Path file, Object value) throws IOException {
    AtomicFiles.write(file, Json.writePretty(value).getBytes(StandardCharsets.UTF_8));
  }
}
