package org.handgrad.app;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.handgrad.app.caption.AttentionGrid;
import org.handgrad.app.caption.CaptionEvaluation;
import org.handgrad.app.caption.CaptionGrid;
import org.handgrad.app.caption.CaptionSource;
import org.handgrad.app.caption.SyntheticSource;
import org.handgrad.app.report.Charts;
import org.handgrad.app.report.HtmlReport;
import org.handgrad.io.AtomicFiles;
import org.handgrad.io.Json;
import org.handgrad.models.rnn.BlindEncoder;
import org.handgrad.models.rnn.CaptionCheckpoint;
import org.handgrad.models.rnn.CaptionData;
import org.handgrad.models.rnn.CaptionDecoder;
import org.handgrad.models.rnn.CaptioningModel;
import org.handgrad.models.rnn.CaptioningRnn;
import org.handgrad.models.rnn.CaptioningTrainer;
import org.handgrad.models.rnn.CellType;
import org.handgrad.models.rnn.ConvEncoder;
import org.handgrad.models.rnn.Decoding;
import org.handgrad.models.rnn.ImageEncoder;
import org.handgrad.models.rnn.WordDetector;
import org.handgrad.models.transformer.CaptioningTransformer;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Rng;
import org.handgrad.tensor.Tensor;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code handgrad caption}: image captioning on the synthetic shapes captions, CS231n assignment 3
 * end to end.
 *
 * <pre>
 * ./handgrad caption train [--model lstm|transformer] [--cell lstm|rnn] [--epochs E]
 *                          [--batch-size B] [--lr LR] [--hidden H] [--width W --layers L --heads H
 *                          --ffn F --dropout P] [--regions] [--train-size N] [--seed S] [--out DIR]
 * ./handgrad caption sample --checkpoint DIR [--n 16] [--method greedy|beam|sample|topk|topp]
 *                           [--attention] ...
 * </pre>
 *
 * <p>{@code train} pretrains a conv encoder as a visual word detector (models.rnn.WordDetector),
 * trains it with an RNN/LSTM decoder (models.rnn) or a transformer decoder (models.transformer) end
 * to end, then the image-blind baseline (the same decoder on zero features) the same way, and
 * writes into DIR: the checkpoint (model.safetensors, optimizer.safetensors, config.json),
 * data.json (the dataset settings), loss.png, baseline/ (the baseline's checkpoint and loss.png)
 * and metrics.json (greedy exact match and BLEU-4 on the held-out test images). {@code sample}
 * reloads them, decodes every held-out image with the chosen method, prints examples next to the
 * ground truth, exact match and BLEU-4 for the model and the baseline, and writes a PNG grid of
 * images with their captions.
 *
 * <p>Results go to standard output, the progress bar and errors to standard error. Exit codes: 0
 * done, 1 failed, 2 bad usage.
 */
@Command(
    name = "caption",
    description =
        "Image captioning (CS231n assignment 3) on synthetic shapes: train an encoder + RNN/LSTM"
            + " or transformer decoder and an image-blind baseline, sample captions, score them.",
    subcommands = {CaptionCommand.Train.class, CaptionCommand.Sample.class})
public final class CaptionCommand implements Runnable {
  @Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "Show this help message and exit.")
  boolean help;

  /** Name of the dataset settings file in a run folder. */
  static final String DATA_FILE = "data.json";

  /** Name of the final metrics file in a run folder. */
  static final String METRICS_FILE = "metrics.json";

  /** Sub-folder of a run folder holding the image-blind baseline. */
  static final String BASELINE_DIR = "baseline";

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  // ---------------------------------------------------------------- train

  /** {@code caption train}. */
  @Command(
      name = "train",
      mixinStandardHelpOptions = true,
      description =
          "Train the captioner end to end and the image-blind baseline on synthetic shapes"
              + " captions; write checkpoints, loss plots and held-out metrics into --out.")
  static final class Train implements Callable<Integer> {
    @ParentCommand CaptionCommand parent;

    @Option(
        names = "--model",
        defaultValue = "lstm",
        description =
            "decoder: lstm (CS231n's CaptioningRNN, cell from --cell) or transformer (CS231n's"
                + " CaptioningTransformer) (${DEFAULT-VALUE})")
    String model;

    @Option(
        names = "--cell",
        defaultValue = "lstm",
        description = "--model lstm: rnn or lstm (${DEFAULT-VALUE})")
    String cell;

    @Option(
        names = "--width",
        defaultValue = "128",
        description = "--model transformer: model width W, CS231n's wordvec_dim (${DEFAULT-VALUE})")
    int width;

    @Option(
        names = "--layers",
        defaultValue = "2",
        description = "--model transformer: decoder layers (${DEFAULT-VALUE})")
    int layers;

    @Option(
        names = "--heads",
        defaultValue = "4",
        description = "--model transformer: attention heads (${DEFAULT-VALUE})")
    int heads;

    @Option(
        names = "--ffn",
        defaultValue = "512",
        description =
            "--model transformer: feed-forward width (${DEFAULT-VALUE}; CS231n hard-codes 2048)")
    int ffn;

    @Option(
        names = "--dropout",
        defaultValue = "0.1",
        description = "--model transformer: DROP probability, as CS231n (${DEFAULT-VALUE})")
    double dropout;

    @Option(
        names = "--regions",
        description =
            "--model transformer: the conv encoder gives its last feature map as region features"
                + " (N, R, D) (R = 16 for 32x32 images and 3 stages), with a learned region"
                + " position embedding, instead of one vector per image; the transformer's"
                + " cross-attention then attends over the regions, which caption sample"
                + " --attention draws")
    boolean regions;

    @Option(names = "--epochs", defaultValue = "4", description = "epochs (${DEFAULT-VALUE})")
    int epochs;

    @Option(
        names = "--batch-size",
        defaultValue = "25",
        description = "captions per update (${DEFAULT-VALUE})")
    int batchSize;

    @Option(
        names = "--lr",
        defaultValue = "1e-3",
        description =
            "learning rate (${DEFAULT-VALUE}); above ~2e-3 the decoder saturates before the encoder"
                + " learns (docs/conventions.md, captioning)")
    double lr;

    @Option(
        names = "--lr-decay",
        defaultValue = "1.0",
        description = "factor per epoch (${DEFAULT-VALUE})")
    double lrDecay;

    @Option(
        names = "--update-rule",
        defaultValue = "adam",
        description = "sgd, sgd_momentum, nesterov, rmsprop, adam, adamw (${DEFAULT-VALUE})")
    String updateRule;

    @Option(
        names = "--clip",
        defaultValue = "5",
        description = "max gradient norm, 0 = off (${DEFAULT-VALUE})")
    double clip;

    @Option(
        names = "--hidden",
        defaultValue = "256",
        description = "hidden size H (${DEFAULT-VALUE})")
    int hidden;

    @Option(
        names = "--wordvec",
        defaultValue = "64",
        description = "word vector size W (${DEFAULT-VALUE})")
    int wordvec;

    @Option(
        names = "--features",
        defaultValue = "128",
        description = "image feature size D (${DEFAULT-VALUE})")
    int features;

    @Option(
        names = "--widths",
        defaultValue = "16,32,32",
        split = ",",
        description = "channels of the conv stages (${DEFAULT-VALUE})")
    List<Integer> widths;

    @Option(
        names = "--pretrain-epochs",
        defaultValue = "3",
        description =
            "epochs of word-detector pretraining of the encoder before captioning, 0 = train end"
                + " to end from scratch (${DEFAULT-VALUE})")
    int pretrainEpochs;

    @Option(
        names = "--pretrain-lr",
        defaultValue = "3e-3",
        description = "learning rate of the pretraining (${DEFAULT-VALUE})")
    double pretrainLr;

    @Option(
        names = "--pretrain-batch-size",
        defaultValue = "50",
        description = "images per pretraining update (${DEFAULT-VALUE})")
    int pretrainBatchSize;

    @Option(
        names = "--train-size",
        defaultValue = "10000",
        description = "training images (${DEFAULT-VALUE})")
    int trainSize;

    @Option(
        names = "--test-size",
        defaultValue = "1000",
        description = "held-out images per split (${DEFAULT-VALUE})")
    int testSize;

    @Option(
        names = "--eval-size",
        defaultValue = "200",
        description = "held-out images scored after each epoch, 0 = none (${DEFAULT-VALUE})")
    int evalSize;

    @Option(
        names = "--seed",
        defaultValue = "1",
        description = "model and minibatch seed (${DEFAULT-VALUE})")
    long seed;

    @Option(
        names = "--data-seed",
        defaultValue = "1",
        description = "dataset seed (${DEFAULT-VALUE})")
    long dataSeed;

    @Option(
        names = "--dtype",
        defaultValue = "float32",
        description = "float32 or float64 (${DEFAULT-VALUE})")
    String dtype;

    @Option(
        names = "--baseline",
        negatable = true,
        defaultValue = "true",
        fallbackValue = "true",
        description = "also train the image-blind baseline (default: yes)")
    boolean baseline;

    @Option(
        names = "--out",
        defaultValue = "runs/caption",
        description = "run folder (${DEFAULT-VALUE})")
    Path out;

    @Override
    public Integer call() {
      return guarded(parent, "caption train", this::run);
    }

    private int run() throws IOException {
      PrintWriter o = parent.spec.commandLine().getOut();
      PrintWriter err = parent.spec.commandLine().getErr();
      DType dt = CaptionCheckpoint.dtype(dtype);
      CellType cellType = CellType.parse(cell);
      if (!model.equals("lstm") && !model.equals("transformer")) {
        throw new IllegalArgumentException(
            "unknown --model '" + model + "'; known: lstm, transformer");
      }
      boolean transformer = model.equals("transformer");
      if (regions && !transformer) {
        throw new IllegalArgumentException(
            "--regions needs --model transformer (the LSTM reads one feature vector per image)");
      }
      long t0 = System.nanoTime();
      SyntheticSource source = new SyntheticSource(trainSize, testSize, dataSeed);
      CaptionData train = source.train();
      o.printf(
          Locale.ROOT,
          "%s: %d training images, %d captions, vocabulary %d, T = %d (%.1f s)%n",
          source.name(),
          train.images().shape(0),
          train.size(),
          source.words().size(),
          source.captionLength(),
          (System.nanoTime() - t0) / 1e9);
      CaptionSource.HeldOut test = source.heldOut("test");
      CaptionSource.HeldOut monitor = evalSize > 0 ? head(test, evalSize) : null;
      CaptioningTrainer.Options options =
          CaptioningTrainer.Options.defaults()
              .withUpdateRule(updateRule)
              .withLearningRate(lr)
              .withLrDecay(lrDecay)
              .withBatchSize(batchSize)
              .withNumEpochs(epochs)
              .withMaxGradNorm(clip)
              .withSeed(seed);
      Files.createDirectories(out);
      writeJson(out.resolve(DATA_FILE), source.describe());

      int[] image = source.imageShape();
      ImageEncoder encoder =
          new ConvEncoder(
              new ConvEncoder.Config(image[0], image[1], widths, features, dt, seed, regions));
      if (pretrainEpochs > 0) {
        pretrain(encoder, source, train, test, options, dt, o);
      }
      CaptioningModel captioner =
          new CaptioningModel(encoder, decoder(source, cellType, features, dt));
      CaptioningTrainer trainer =
          train("captioner", captioner, train, options, source, monitor, out, o, err);

      CaptioningTrainer blind = null;
      if (baseline) {
        CaptioningModel b =
            new CaptioningModel(new BlindEncoder(dt), decoder(source, cellType, 1, dt));
        blind =
            train(
                "image-blind baseline",
                b,
                train,
                options,
                source,
                monitor,
                out.resolve(BASELINE_DIR),
                o,
                err);
      }

      int maxLength = source.captionLength() - 1;
      Decoding greedy = new Decoding.Greedy();
      CaptionEvaluation e =
          CaptionEvaluation.evaluate(captioner, source, test, greedy, maxLength, null);
      Map<String, Object> metrics = new LinkedHashMap<>();
      metrics.put("split", "test");
      metrics.put("images", test.images().shape(0));
      metrics.put("decoding", "greedy");
      metrics.put("model", scores(e, trainer));
      o.printf(
          Locale.ROOT, "%nheld-out test, %d images, greedy decoding%n", test.images().shape(0));
      o.println(row("model", e));
      if (blind != null) {
        CaptionEvaluation be =
            CaptionEvaluation.evaluate(blind.model(), source, test, greedy, maxLength, null);
        metrics.put("baseline", scores(be, blind));
        o.println(row("image-blind", be));
      }
      writeJson(out.resolve(METRICS_FILE), metrics);
      HtmlReport.write(out);
      o.printf(Locale.ROOT, "wrote %s (%.0f s in all)%n", out, (System.nanoTime() - t0) / 1e9);
      return 0;
    }

    /** Word-detector pretraining of the encoder (models.rnn.WordDetector), with progress lines. */
    private void pretrain(
        ImageEncoder encoder,
        CaptionSource source,
        CaptionData train,
        CaptionSource.HeldOut test,
        CaptioningTrainer.Options options,
        DType dt,
        PrintWriter o) {
      int v = source.words().size();
      WordDetector det = new WordDetector(encoder, v, dt, seed);
      Tensor targets = WordDetector.bagOfWords(train, v, source.tokens(), dt);
      Tensor heldOutTargets = bagOfWords(test, source, dt);
      o.printf(
          Locale.ROOT,
          "pretraining the encoder as a word detector: %d epochs over %d images%n",
          pretrainEpochs,
          train.images().shape(0));
      o.flush();
      long start = System.nanoTime();
      det.train(
          train.images(),
          targets,
          options
              .withLearningRate(pretrainLr)
              .withLrDecay(1.0)
              .withNumEpochs(pretrainEpochs)
              .withBatchSize(pretrainBatchSize),
          (epoch, loss) -> {
            WordDetector.Scores s =
                WordDetector.Scores.of(
                    det.probabilities(head(test, 500).images()),
                    heldOutTargets.slice(0, 0, Math.min(500, heldOutTargets.shape(0))),
                    0.5);
            o.printf(
                Locale.ROOT,
                "(Pretrain %d / %d) loss %.3f  held-out word F1 %.3f (precision %.3f, recall"
                    + " %.3f)  %.0f s%n",
                epoch + 1,
                pretrainEpochs,
                loss,
                s.f1(),
                s.precision(),
                s.recall(),
                (System.nanoTime() - start) / 1e9);
            o.flush();
          });
    }

    /** Multi-hot word targets of held-out images, from their references. */
    private static Tensor bagOfWords(CaptionSource.HeldOut split, CaptionSource source, DType dt) {
      List<String> words = source.words();
      Map<String, Integer> index = new java.util.HashMap<>();
      for (int i = 0; i < words.size(); i++) {
        index.put(words.get(i), i);
      }
      int n = split.images().shape(0);
      Tensor bag = Tensor.zeros(dt, n, words.size());
      for (int i = 0; i < n; i++) {
        for (List<String> ref : split.references().get(i)) {
          for (String w : ref) {
            bag.set(1, i, index.get(w));
          }
        }
      }
      return bag;
    }

    private CaptionDecoder decoder(CaptionSource source, CellType cellType, int d, DType dt) {
      if (model.equals("transformer")) {
        return new CaptioningTransformer(
            new CaptioningTransformer.Config(
                source.words().size(),
                d,
                width,
                heads,
                layers,
                // the input sequence has T - 1 words; 20 leaves room for caption sample
                // --max-length
                Math.max(source.captionLength(), 20),
                ffn,
                dropout,
                dt,
                seed,
                source.tokens()));
      }
      return new CaptioningRnn(
          new CaptioningRnn.Config(
              source.words().size(), d, wordvec, hidden, cellType, dt, seed, source.tokens()));
    }

    /** Trains one model with a progress bar and per-epoch lines, then saves it into dir. */
    private CaptioningTrainer train(
        String label,
        CaptioningModel model,
        CaptionData data,
        CaptioningTrainer.Options options,
        CaptionSource source,
        CaptionSource.HeldOut monitor,
        Path dir,
        PrintWriter o,
        PrintWriter err)
        throws IOException {
      CaptioningTrainer t = new CaptioningTrainer(model, data, options);
      o.printf(
          Locale.ROOT,
          "training the %s: %d parameters, %d iterations (%d per epoch)%n",
          label,
          model.parameters().stream().mapToInt(p -> p.size()).sum(),
          t.numIterations(),
          t.iterationsPerEpoch());
      o.flush();
      ProgressBar bar =
          new ProgressBar(
              err, label, ProgressBar.Unit.ITEMS, ProgressBar.interactive(), System::nanoTime);
      long start = System.nanoTime();
      t.listener(
          new CaptioningTrainer.Listener() {
            @Override
            public void onIteration(int iteration, int numIterations, int epoch, double loss) {
              bar.update(iteration, numIterations);
            }

            @Override
            public void onEpochEnd(int epoch, double learningRate) {
              List<Double> h = t.lossHistory();
              int ipe = t.iterationsPerEpoch();
              double mean =
                  h.subList(h.size() - ipe, h.size()).stream()
                      .mapToDouble(Double::doubleValue)
                      .average()
                      .orElse(Double.NaN);
              StringBuilder line =
                  new StringBuilder(
                      String.format(
                          Locale.ROOT,
                          "(Epoch %d / %d) loss %.3f  lr %.2e  %.0f s",
                          epoch + 1,
                          options.numEpochs(),
                          mean,
                          learningRate,
                          (System.nanoTime() - start) / 1e9));
              if (monitor != null) {
                CaptionEvaluation e =
                    CaptionEvaluation.evaluate(
                        model,
                        source,
                        monitor,
                        new Decoding.Greedy(),
                        source.captionLength() - 1,
                        null);
                line.append(
                    String.format(
                        Locale.ROOT,
                        "  held-out greedy (%d images): exact %.3f BLEU-4 %.3f",
                        monitor.images().shape(0),
                        e.exactMatch(),
                        e.bleu4()));
              }
              if (!ProgressBar.interactive()) {
                bar.finish(); // keeps log lines ordered
              }
              o.println(line);
              o.flush();
            }
          });
      t.train();
      bar.finish();
      t.save(dir, source.words());
      Charts.lossCurve(
          t.lossHistory(), "caption " + label + ": training loss", dir.resolve("loss.png"));
      return t;
    }

    private static Map<String, Object> scores(CaptionEvaluation e, CaptioningTrainer t) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("exact_match", e.exactMatch());
      m.put("bleu4", e.bleu4());
      List<Double> h = t.lossHistory();
      m.put("final_loss", h.get(h.size() - 1));
      return m;
    }
  }

  // ---------------------------------------------------------------- sample

  /** {@code caption sample}. */
  @Command(
      name = "sample",
      mixinStandardHelpOptions = true,
      description =
          "Caption held-out images with a trained checkpoint: examples next to the ground truth,"
              + " exact match and BLEU-4 against the image-blind baseline, and a PNG grid.")
  static final class Sample implements Callable<Integer> {
    @ParentCommand CaptionCommand parent;

    @Option(names = "--checkpoint", required = true, description = "run folder of caption train")
    Path checkpoint;

    @Option(names = "--n", defaultValue = "16", description = "examples printed and drawn")
    int n;

    @Option(
        names = "--method",
        defaultValue = "greedy",
        description = "greedy, beam, sample, topk or topp (${DEFAULT-VALUE})")
    String method;

    @Option(names = "--beam-width", defaultValue = "3", description = "beam width")
    int beamWidth;

    @Option(
        names = "--length-penalty",
        defaultValue = "0",
        description = "beam: rank by logP / length^alpha (${DEFAULT-VALUE})")
    double lengthPenalty;

    @Option(names = "--temperature", defaultValue = "1.0", description = "sampling temperature")
    double temperature;

    @Option(names = "--top-k", defaultValue = "5", description = "topk: words kept")
    int topK;

    @Option(names = "--top-p", defaultValue = "0.9", description = "topp: nucleus mass")
    double topP;

    @Option(names = "--seed", defaultValue = "0", description = "sampling seed")
    long seed;

    @Option(names = "--split", defaultValue = "test", description = "test or novel")
    String split;

    @Option(names = "--max-length", description = "words generated at most (default T - 1)")
    Integer maxLength;

    @Option(names = "--grid", description = "PNG file (default CHECKPOINT/samples-METHOD.png)")
    Path grid;

    @Option(
        names = "--attention",
        description =
            "transformer checkpoints: also write CHECKPOINT/attention-METHOD.png, each generated"
                + " word's cross-attention (last layer, averaged over heads) over the image regions"
                + " for the first 8 examples. Needs region features: a checkpoint trained with"
                + " caption train --model transformer --regions; with one feature vector per image"
                + " (the default encoder, CS231n's setting) the memory is a single token whose"
                + " attention weight is always 1, so there is no map to draw")
    boolean attention;

    @Override
    public Integer call() {
      return guarded(parent, "caption sample", this::run);
    }

    @SuppressWarnings("unchecked")
    private int run() throws IOException {
      PrintWriter o = parent.spec.commandLine().getOut();
      Decoding decoding = decoding();
      CaptionCheckpoint.Loaded loaded = CaptionCheckpoint.load(checkpoint);
      Path dataFile = checkpoint.resolve(DATA_FILE);
      if (!Files.exists(dataFile)) {
        throw new IOException("missing " + dataFile + ": not a folder written by caption train");
      }
      SyntheticSource source =
          SyntheticSource.fromMap(
              (Map<String, Object>) Json.parse(Files.readString(dataFile, StandardCharsets.UTF_8)));
      if (!loaded.vocab().equals(source.words())) {
        throw new IllegalArgumentException(
            "the checkpoint's vocabulary differs from the dataset's: " + loaded.vocab());
      }
      CaptionSource.HeldOut data = source.heldOut(split);
      int length = maxLength != null ? maxLength : source.captionLength() - 1;
      CaptionEvaluation e =
          CaptionEvaluation.evaluate(loaded.model(), source, data, decoding, length, new Rng(seed));
      CaptionEvaluation be = null;
      Path baselineDir = checkpoint.resolve(BASELINE_DIR);
      if (Files.exists(baselineDir.resolve(CaptionCheckpoint.CONFIG_FILE))) {
        be =
            CaptionEvaluation.evaluate(
                CaptionCheckpoint.load(baselineDir).model(),
                source,
                data,
                decoding,
                length,
                new Rng(seed));
      }

      int shown = Math.min(n, data.images().shape(0));
      List<String> gen = new ArrayList<>();
      List<String> ref = new ArrayList<>();
      List<Boolean> exact = new ArrayList<>();
      for (int i = 0; i < shown; i++) {
        List<List<String>> refs = data.references().get(i);
        List<String> h = e.hypotheses().get(i);
        gen.add(String.join(" ", h));
        ref.add(String.join(" ", refs.get(0)));
        exact.add(refs.contains(h));
        o.printf(
            Locale.ROOT, "[%d] model:    %s%s%n", i, gen.get(i), exact.get(i) ? "  (exact)" : "");
        if (be != null) {
          o.printf(Locale.ROOT, "    baseline: %s%n", String.join(" ", be.hypotheses().get(i)));
        }
        for (List<String> r : refs) {
          o.printf(Locale.ROOT, "    truth:    %s%n", String.join(" ", r));
        }
      }
      int total = data.images().shape(0);
      o.printf(
          Locale.ROOT, "%nheld-out %s, %d images, %s decoding%n", split, total, describe(decoding));
      o.println(row("model", e));
      if (be != null) {
        o.println(row("image-blind", be));
      }
      Path png = grid != null ? grid : checkpoint.resolve("samples-" + method + ".png");
      CaptionGrid.write(
          png,
          data.images().slice(0, 0, shown).contiguous(),
          gen,
          ref,
          exact,
          String.format(
              Locale.ROOT,
              "%s decoding, held-out %s: exact %.3f, BLEU-4 %.3f over %d images",
              describe(decoding),
              split,
              e.exactMatch(),
              e.bleu4(),
              total));
      o.println("wrote " + png);
      if (attention) {
        Path map = checkpoint.resolve("attention-" + method + ".png");
        writeAttention(
            loaded.model(), loaded.vocab(), data, Math.min(shown, 8), decoding, length, map);
        o.println("wrote " + map);
      }
      if (Files.isRegularFile(checkpoint.resolve(METRICS_FILE))) {
        // The run's page now shows these samples too.
        o.println("updated " + HtmlReport.write(checkpoint));
      }
      return 0;
    }

    /** The --attention PNG: re-decodes the first k images and reads the cross-attention. */
    private void writeAttention(
        CaptioningModel model,
        List<String> vocab,
        CaptionSource.HeldOut data,
        int k,
        Decoding decoding,
        int length,
        Path map)
        throws IOException {
      if (!(model.decoder() instanceof CaptioningTransformer tf)) {
        throw new IllegalArgumentException(
            "--attention needs a transformer checkpoint (caption train --model transformer"
                + " --regions); this one has an RNN/LSTM decoder, which has no attention");
      }
      if (model.encoder().regions() == 0) {
        throw new IllegalArgumentException(
            "--attention needs region features: this checkpoint's encoder gives one feature vector"
                + " per image, so the transformer's memory is one token and every word's attention"
                + " weight on it is 1; train with caption train --model transformer --regions");
      }
      Tensor images = data.images().slice(0, 0, k).contiguous();
      Tensor features = model.encoder().forward(images, false);
      Tensor words = tf.sample(features, decoding, length, new Rng(seed));
      Tensor weights = tf.crossAttention(features, words);
      List<List<String>> shown = new ArrayList<>();
      int[] ids = words.toIntArray();
      for (int i = 0; i < k; i++) {
        List<String> row = new ArrayList<>();
        for (int j = 0; j < length; j++) {
          int id = ids[i * length + j];
          row.add(vocab.get(id));
          if (id == tf.tokens().endIdx()) {
            break;
          }
        }
        shown.add(row);
      }
      AttentionGrid.write(
          map,
          images,
          shown,
          weights,
          String.format(
              Locale.ROOT,
              "%s decoding: each word's cross-attention over %d regions (last layer, mean of"
                  + " heads)",
              describe(decoding),
              model.encoder().regions()));
    }

    private Decoding decoding() {
      return switch (method) {
        case "greedy" -> new Decoding.Greedy();
        case "beam" -> new Decoding.Beam(beamWidth, lengthPenalty);
        case "sample" -> new Decoding.Sampling(temperature, 0, 1);
        case "topk" -> new Decoding.Sampling(temperature, topK, 1);
        case "topp" -> new Decoding.Sampling(temperature, 0, topP);
        default ->
            throw new IllegalArgumentException(
                "unknown --method '" + method + "'; known: greedy, beam, sample, topk, topp");
      };
    }

    private static String describe(Decoding d) {
      if (d instanceof Decoding.Beam b) {
        return String.format(
            Locale.ROOT, "beam (width %d, length penalty %s)", b.width(), b.lengthPenalty());
      }
      if (d instanceof Decoding.Sampling s) {
        return String.format(
            Locale.ROOT,
            "sampling (temperature %s, top-k %s, top-p %s)",
            s.temperature(),
            s.topK() == 0 ? "off" : String.valueOf(s.topK()),
            s.topP() == 1 ? "off" : String.valueOf(s.topP()));
      }
      return d.name();
    }
  }

  // ---------------------------------------------------------------- helpers

  /** A command body that may fail with a message for the user. */
  interface Body {
    int run() throws IOException;
  }

  /** Runs a body; expected failures become a one-line message on standard error and exit 1. */
  static int guarded(CaptionCommand parent, String op, Body body) {
    try {
      return body.run();
    } catch (IOException | IllegalArgumentException | ArithmeticException e) {
      PrintWriter err = parent.spec.commandLine().getErr();
      err.println(op + ": " + Errors.message(e));
      err.flush();
      return 1;
    }
  }

  static String row(String who, CaptionEvaluation e) {
    return String.format(
        Locale.ROOT, "  %-12s exact match %.3f   BLEU-4 %.3f", who, e.exactMatch(), e.bleu4());
  }

  /** The first n images of a split. */
  static CaptionSource.HeldOut head(CaptionSource.HeldOut split, int n) {
    int k = Math.min(n, split.images().shape(0));
    return new CaptionSource.HeldOut(
        split.images().slice(0, 0, k).contiguous(), split.references().subList(0, k));
  }

  static void writeJson(Path file, Object value) throws IOException {
    AtomicFiles.write(file, Json.writePretty(value).getBytes(StandardCharsets.UTF_8));
  }
}
