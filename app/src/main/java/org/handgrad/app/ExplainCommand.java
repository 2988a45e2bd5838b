package org.handgrad.app;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.handgrad.app.report.ExplainFigures;
import org.handgrad.app.report.ExplainFigures.Panel;
import org.handgrad.app.train.Preprocessing;
import org.handgrad.app.train.RunSpec;
import org.handgrad.app.train.TrainedModel;
import org.handgrad.data.Split;
import org.handgrad.io.Png;
import org.handgrad.models.InputGradients;
import org.handgrad.models.Models;
import org.handgrad.models.explain.AttentionMap;
import org.handgrad.models.explain.ClassVisualization;
import org.handgrad.models.explain.FoolingImage;
import org.handgrad.models.explain.GradCam;
import org.handgrad.models.explain.Saliency;
import org.handgrad.models.explain.SanityCheck;
import org.handgrad.models.vit.VisionTransformer;
import org.handgrad.nn.Metrics;
import org.handgrad.nn.Model;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Rng;
import org.handgrad.tensor.Tensor;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code ./handgrad explain --checkpoint RUN [--method M] IMAGE.png...}: why a trained classifier
 * decides what it decides (org.handgrad.models.explain): saliency maps, Grad-CAM, a ViT's attention
 * rollout, fooling images, the saliency sanity check; {@code --class-visualization C} synthesizes
 * an image of a class.
 *
 * <p>Images come from PNG files (brought to the model's input as {@code predict} does) or from the
 * checkpoint's test set ({@code --test-index}). Each image gets one PNG, {@code
 * <name>-<method>.png}, next to the input or in {@code --out}. Maps are computed in the model's
 * (preprocessed) input space; images are drawn and perturbations measured in pixel space, values in
 * [0, 1]. Exit codes: 0 done, 1 failed, 2 bad usage.
 */
@Command(
    name = "explain",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Explain a trained classifier: saliency maps, Grad-CAM, attention rollout (vit), fooling"
          + " images, the saliency sanity check (Adebayo et al. 2018), or a class visualization.",
      ""
    },
    footer = {
      "",
      "Examples:",
      "  ./handgrad explain --checkpoint runs/bn-cnn-X --method gradcam --test-index 0,1,2 --out e",
      "  ./handgrad explain --checkpoint runs/bn-cnn-X --method fool --target 3 boot.png",
      "  ./handgrad explain --checkpoint runs/bn-cnn-X --method sanity --test-index 0-9 --out e",
      "  ./handgrad explain --checkpoint runs/bn-cnn-X --class-visualization 9 --out e"
    })
public final class ExplainCommand implements Callable<Integer> {
  @Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--checkpoint",
      required = true,
      paramLabel = "PATH",
      description = "A checkpoint .json, a folder of checkpoints or a run folder (newest).")
  Path checkpoint;

  @Option(
      names = "--method",
      paramLabel = "M",
      defaultValue = "saliency",
      description = "saliency, gradcam, rollout (vit), fool or sanity (default: ${DEFAULT-VALUE}).")
  String method;

  @Option(
      names = "--target",
      paramLabel = "CLASS",
      description =
          "Class index or name to explain or to fool into (default: the predicted class; for"
              + " fool, the class after it).")
  String target;

  @Option(
      names = "--layer",
      paramLabel = "NAME",
      description = "gradcam: the conv layer (default: the last conv layer).")
  String layer;

  @Option(
      names = "--test-index",
      paramLabel = "I,J,A-B",
      split = ",",
      description = "Images of the checkpoint's test set, by index or range (A-B inclusive).")
  List<String> testIndex;

  @Option(
      names = "--class-visualization",
      paramLabel = "CLASS",
      description = "Synthesize an image of this class (index or name) by gradient ascent.")
  String classVisualization;

  @Option(
      names = "--out",
      paramLabel = "DIR",
      description = "Output folder (default: next to each input image, else the working folder).")
  Path out;

  @Option(
      names = "--invert",
      paramLabel = "WHEN",
      defaultValue = "auto",
      description = "PNG inputs: invert grey images, auto, yes or no, as predict.")
  String invert;

  @Option(
      names = "--seed",
      paramLabel = "N",
      defaultValue = "0",
      description = "Seed (default: 0).")
  long seed;

  @Option(names = "--latest", description = "Use the latest parameters instead of the best.")
  boolean latest;

  @Option(
      names = "--data-dir",
      paramLabel = "DIR",
      description =
          "Data folder for --test-index (default: $HANDGRAD_DATA, else ~/.handgrad/data).")
  Path dataDir;

  @Option(names = "--no-fetch", description = "Never download a missing dataset.")
  boolean noFetch;

  @Parameters(paramLabel = "IMAGE", arity = "0..*", description = "PNG (or JPEG, BMP) files.")
  List<Path> images = new ArrayList<>();

  /** One image to explain: its name, pixels (C, H, W) in [0, 1], label (-1 unknown), folder. */
  private record Input(String name, Tensor pixels, int label, Path dir) {}

  private static final int SCALE = 6;

  @Override
  public Integer call() {
    PrintWriter o = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    try {
      if (!List.of("saliency", "gradcam", "rollout", "fool", "sanity").contains(method)) {
        return usage(
            err,
            "--method must be saliency, gradcam, rollout, fool or sanity, got '" + method + "'");
      }
      if (!List.of("auto", "yes", "no").contains(invert)) {
        return usage(err, "--invert must be auto, yes or no, got '" + invert + "'");
      }
      if (classVisualization == null && images.isEmpty() && testIndex == null) {
        return usage(err, "give IMAGE files, --test-index or --class-visualization");
      }
      TrainedModel tm = TrainedModel.load(checkpoint, latest);
      RunSpec s = tm.spec();
      Model model = RunSpec.unwrap(tm.model());
      if (!(model instanceof InputGradients ig)) {
        return usage(
            err,
            s.model()
                + " has no input gradients (explain needs a model trained by"
                + " gradient descent)");
      }
      if (classVisualization != null) {
        return classVisualization(o, s, ig);
      }
      List<Input> inputs = inputs(s, err);
      Tensor x = batch(s, inputs);
      int[] predicted = Metrics.argmax(model.loss(x));
      switch (method) {
        case "fool" -> fool(o, s, ig, x, inputs, predicted);
        case "sanity" -> sanity(o, s, model, x, inputs, predicted);
        default -> maps(o, s, model, ig, x, inputs, predicted);
      }
      o.flush();
      return 0;
    } catch (IOException | IllegalArgumentException | IllegalStateException e) {
      err.println("error: " + Errors.message(e));
      return 1;
    } finally {
      err.flush();
    }
  }

  private static int usage(PrintWriter err, String message) {
    err.println("error: " + message);
    return 2;
  }

  /** Saliency, Grad-CAM or rollout: per image a PNG of the input, the map and the overlay. */
  private void maps(
      PrintWriter o,
      RunSpec s,
      Model model,
      InputGradients ig,
      Tensor x,
      List<Input> inputs,
      int[] predicted)
      throws IOException {
    int[] classes = targets(s, predicted, false);
    Tensor maps;
    String what;
    switch (method) {
      case "gradcam" -> {
        if (model instanceof VisionTransformer) {
          throw new IllegalArgumentException(
              "gradcam needs a conv layer and a vit has none; use --method rollout");
        }
        String l = layer != null ? layer : lastConv(ig);
        maps =
            GradCam.normalize(
                GradCam.upsample(GradCam.gradCam(ig, x, classes, l), x.shape(2), x.shape(3)));
        what = "Grad-CAM at " + l;
      }
      case "rollout" -> {
        if (!(model instanceof VisionTransformer vit)) {
          throw new IllegalArgumentException(
              "rollout needs a vit checkpoint; for convnets use --method gradcam");
        }
        maps = GradCam.normalize(AttentionMap.rollout(vit, x));
        what = "attention rollout";
      }
      default -> {
        maps = GradCam.normalize(Saliency.saliencyMaps(ig, x, classes));
        what = "saliency";
      }
    }
    for (int i = 0; i < inputs.size(); i++) {
      Input in = inputs.get(i);
      Tensor heat = maps.select(0, i);
      String cls = s.classNames().get(classes[i]);
      List<Panel> row =
          List.of(
              new Panel(caption(s, in, predicted[i]), in.pixels(), null),
              new Panel(what, null, heat),
              new Panel("overlay", in.pixels(), heat));
      Path png = file(in, method);
      ExplainFigures.write(png, in.name() + ": " + what + " of class " + cls, List.of(row), SCALE);
      o.println(
          in.name()
              + ": predicted "
              + s.classNames().get(predicted[i])
              + ", "
              + what
              + " of "
              + cls
              + " -> "
              + png);
    }
  }

  /** Fooling images: per image a PNG and a line; then the success rate and mean perturbation. */
  private void fool(
      PrintWriter o, RunSpec s, InputGradients ig, Tensor x, List<Input> inputs, int[] predicted)
      throws IOException {
    int[] targets = targets(s, predicted, true);
    int fooled = 0;
    double steps = 0;
    double l2 = 0;
    double linf = 0;
    for (int i = 0; i < inputs.size(); i++) {
      Input in = inputs.get(i);
      Tensor xi = x.slice(0, i, i + 1).contiguous();
      FoolingImage.Result r =
          FoolingImage.make(ig, xi, targets[i], FoolingImage.Options.defaults());
      Tensor after = deprocess(s, r.image()).select(0, 0);
      Tensor delta = after.sub(in.pixels()).to(DType.FLOAT64);
      double dl2 = Math.sqrt(delta.square().sum().item());
      double dinf = delta.abs().max().item();
      if (r.fooled()) {
        fooled++;
        steps += r.steps();
        l2 += dl2;
        linf += dinf;
      }
      Tensor diff = delta.abs().max(0); // (H, W)
      double m = Math.max(diff.max().item(), 1e-12);
      List<Panel> row =
          List.of(
              new Panel(caption(s, in, predicted[i]), in.pixels(), null),
              new Panel("fooled: " + s.classNames().get(r.predicted()), after, null),
              new Panel(String.format(Locale.ROOT, "|change|, max %.3f", dinf), null, diff.div(m)));
      Path png = file(in, "fool");
      ExplainFigures.write(
          png,
          in.name() + ": fooling image for " + s.classNames().get(targets[i]),
          List.of(row),
          SCALE);
      o.printf(
          Locale.ROOT,
          "%s: %s -> target %s: %s after %d steps, L2 %.4f, Linf %.4f -> %s%n",
          in.name(),
          s.classNames().get(predicted[i]),
          s.classNames().get(targets[i]),
          r.fooled() ? "fooled" : "NOT fooled (" + s.classNames().get(r.predicted()) + ")",
          r.steps(),
          dl2,
          dinf,
          png);
    }
    int n = inputs.size();
    o.printf(
        Locale.ROOT,
        "fooled %d / %d (%.1f%%) within %d steps; over the fooled images: mean steps %.2f, mean"
            + " L2 %.4f, mean Linf %.4f (pixel values in [0, 1])%n",
        fooled,
        n,
        100.0 * fooled / n,
        FoolingImage.Options.defaults().maxSteps(),
        steps / Math.max(fooled, 1),
        l2 / Math.max(fooled, 1),
        linf / Math.max(fooled, 1));
  }

  /** The sanity check: one PNG of all images and steps, and the correlation table. */
  private void sanity(
      PrintWriter o, RunSpec s, Model model, Tensor x, List<Input> inputs, int[] predicted)
      throws IOException {
    int[] classes = targets(s, predicted, false);
    Map<String, String> args = new HashMap<>(s.modelArgs());
    long trainedSeed = Long.parseLong(args.getOrDefault("seed", Long.toString(s.seed())));
    args.put("seed", Long.toString(trainedSeed + 1 + seed));
    Model fresh = Models.createModel(s.model(), args);
    List<SanityCheck.Step> steps = SanityCheck.cascadingRandomization(model, fresh, x, classes);
    o.println("cascading randomization (Adebayo et al. 2018), saliency of the explained class;");
    o.println(
        "Spearman rank correlation with the trained model's saliency, mean over "
            + inputs.size()
            + " images:");
    List<List<Panel>> rows = new ArrayList<>();
    for (int i = 0; i < inputs.size(); i++) {
      List<Panel> row = new ArrayList<>();
      row.add(new Panel(caption(s, inputs.get(i), predicted[i]), inputs.get(i).pixels(), null));
      rows.add(row);
    }
    for (SanityCheck.Step st : steps) {
      String last =
          st.randomized().contains(", ")
              ? st.randomized().substring(st.randomized().lastIndexOf(", ") + 2)
              : st.randomized();
      o.printf(Locale.ROOT, "  randomized down to %-12s %.4f%n", last, st.meanSpearman());
      Tensor norm = GradCam.normalize(st.saliency());
      for (int i = 0; i < inputs.size(); i++) {
        String label =
            st.randomized().equals("none")
                ? "trained"
                : String.format(Locale.ROOT, "-%s %.2f", last, st.spearman()[i]);
        rows.get(i).add(new Panel(label, null, norm.select(0, i)));
      }
    }
    Path dir = out != null ? out : Path.of(".");
    Files.createDirectories(dir);
    Path png = dir.resolve("sanity.png");
    ExplainFigures.write(
        png,
        "Saliency as the " + s.model() + " is randomized from the top (Spearman vs trained)",
        rows,
        3);
    o.println("figure: " + png);
  }

  private int classVisualization(PrintWriter o, RunSpec s, InputGradients ig) throws IOException {
    int c = classIndex(s, classVisualization);
    int[] shape = s.inputShape();
    ClassVisualization.Options opts =
        ClassVisualization.Options.forInput(shape[0], shape[1], shape[2]);
    Tensor img =
        ClassVisualization.create(ig, c, shape, s.dtype(), opts, pixelRange(s), new Rng(seed));
    double[] p = PredictCommand.softmax(((Model) ig).loss(img).toDoubleArray());
    Path dir = out != null ? out : Path.of(".");
    Files.createDirectories(dir);
    String name = s.classNames().get(c).replaceAll("[^A-Za-z0-9]+", "_");
    Path png = dir.resolve("class-" + c + "-" + name + ".png");
    ExplainFigures.write(
        png,
        "Class visualization: " + s.classNames().get(c),
        List.of(
            List.of(
                new Panel(
                    String.format(Locale.ROOT, "p = %.3f", p[c]),
                    deprocess(s, img).select(0, 0),
                    null))),
        8);
    o.printf(
        Locale.ROOT,
        "class %d (%s): %d iterations, lr %.3g, l2 %.0e, jitter %d, blur every %d; softmax"
            + " probability %.4f -> %s%n",
        c,
        s.classNames().get(c),
        opts.numIterations(),
        opts.learningRate(),
        opts.l2Reg(),
        opts.maxJitter(),
        opts.blurEvery(),
        p[c],
        png);
    o.flush();
    return 0;
  }

  // ---------------------------------------------------------------- inputs and helpers

  private List<Input> inputs(RunSpec s, PrintWriter err) throws IOException {
    List<Input> list = new ArrayList<>();
    int[] in = s.inputShape();
    for (Path image : images) {
      Tensor x = PredictCommand.toInput(Png.read(image), in[0], in[1], in[2]);
      if (invert.equals("yes")
          || (invert.equals("auto") && in[0] == 1 && PredictCommand.borderMean(x) > 0.5)) {
        x = PredictCommand.invert(x);
      }
      String name = image.getFileName().toString().replaceFirst("\\.[^.]*$", "");
      Path dir = out != null ? out : image.toAbsolutePath().getParent();
      list.add(new Input(name, x, -1, dir));
    }
    if (testIndex != null) {
      EvalCommand eval = new EvalCommand();
      eval.dataDir = dataDir;
      eval.noFetch = noFetch;
      Split test = eval.testSplit(s, err);
      for (int i : indices(testIndex, test.size())) {
        Tensor x = test.x().select(0, i).to(DType.FLOAT32).contiguous();
        list.add(new Input("test-" + i, x, test.y()[i], out != null ? out : Path.of(".")));
      }
    }
    return list;
  }

  /** Parses "3", "0-99" (inclusive) entries, checking each against the test set size. */
  static List<Integer> indices(List<String> specs, int size) {
    List<Integer> list = new ArrayList<>();
    for (String spec : specs) {
      String[] ab = spec.trim().split("-", 2);
      int a;
      int b;
      try {
        a = Integer.parseInt(ab[0].trim());
        b = ab.length == 2 ? Integer.parseInt(ab[1].trim()) : a;
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "--test-index: expected an index or a range A-B, got '" + spec + "'", e);
      }
      if (a < 0 || b >= size || a > b) {
        throw new IllegalArgumentException(
            "--test-index: " + spec + " is outside the test set (indices 0.." + (size - 1) + ")");
      }
      for (int i = a; i <= b; i++) {
        list.add(i);
      }
    }
    return list;
  }

  /** The inputs preprocessed as a batch, shape (N, C, H, W), the model's dtype. */
  private static Tensor batch(RunSpec s, List<Input> inputs) {
    int[] in = s.inputShape();
    Tensor x = Tensor.zeros(DType.FLOAT32, inputs.size(), in[0], in[1], in[2]);
    for (int i = 0; i < inputs.size(); i++) {
      x.select(0, i).copyFrom(inputs.get(i).pixels());
    }
    return s.preprocessing().apply(x.to(s.dtype()));
  }

  /** Model input back to pixels in [0, 1] (not clipped), shape (N, C, H, W), float32. */
  static Tensor deprocess(RunSpec s, Tensor x) {
    Preprocessing p = s.preprocessing();
    Tensor y = x.to(DType.FLOAT64).contiguous();
    int[] in = s.inputShape();
    int plane = in[1] * in[2];
    int per = in[0] * plane;
    double[] a = y.toDoubleArray();
    for (int i = 0; i < a.length; i++) {
      int c = (i % per) / plane;
      a[i] =
          switch (p.kind()) {
            case NONE -> a[i];
            case MEAN_IMAGE -> a[i] + p.mean()[i % per];
            case CHANNEL_NORM -> a[i] * p.std()[c] + p.mean()[c];
          };
    }
    return Tensor.of(a, x.shape()).to(DType.FLOAT32);
  }

  /**
   * Valid images in input space, per channel: pixels 0 and 1 through the preprocessing (for a mean
   * image, through the channel's average of the mean image).
   */
  static ClassVisualization.PixelRange pixelRange(RunSpec s) {
    Preprocessing p = s.preprocessing();
    int c = s.inputShape()[0];
    double[] lo = new double[c];
    double[] hi = new double[c];
    for (int ch = 0; ch < c; ch++) {
      switch (p.kind()) {
        case NONE -> {
          lo[ch] = 0;
          hi[ch] = 1;
        }
        case CHANNEL_NORM -> {
          lo[ch] = (0 - p.mean()[ch]) / p.std()[ch];
          hi[ch] = (1 - p.mean()[ch]) / p.std()[ch];
        }
        case MEAN_IMAGE -> {
          int plane = p.mean().length / c;
          double m = 0;
          for (int i = 0; i < plane; i++) {
            m += p.mean()[ch * plane + i];
          }
          m /= plane;
          lo[ch] = -m;
          hi[ch] = 1 - m;
        }
      }
    }
    return new ClassVisualization.PixelRange(lo, hi);
  }

  private int[] targets(RunSpec s, int[] predicted, boolean next) {
    int k = s.classNames().size();
    int[] t = new int[predicted.length];
    for (int i = 0; i < t.length; i++) {
      t[i] = target != null ? classIndex(s, target) : next ? (predicted[i] + 1) % k : predicted[i];
    }
    return t;
  }

  /** A class by index or (case-insensitive) name. */
  static int classIndex(RunSpec s, String spec) {
    List<String> names = s.classNames();
    for (int i = 0; i < names.size(); i++) {
      if (names.get(i).equalsIgnoreCase(spec.trim())) {
        return i;
      }
    }
    try {
      int c = Integer.parseInt(spec.trim());
      if (c >= 0 && c < names.size()) {
        return c;
      }
    } catch (NumberFormatException e) {
      // not a number: reported below with the names
    }
    throw new IllegalArgumentException(
        "class '"
            + spec
            + "' is neither an index 0.."
            + (names.size() - 1)
            + " nor one of "
            + names);
  }

  private static String lastConv(InputGradients ig) {
    String last = null;
    for (String l : ig.captureLayers()) {
      if (l.startsWith("conv")) {
        last = l;
      }
    }
    if (last == null) {
      throw new IllegalArgumentException(
          "gradcam needs a conv layer; this model has none (layers: " + ig.captureLayers() + ")");
    }
    return last;
  }

  private static String caption(RunSpec s, Input in, int predicted) {
    return (in.label() >= 0 ? s.classNames().get(in.label()) + " -> " : "")
        + s.classNames().get(predicted);
  }

  private Path file(Input in, String suffix) throws IOException {
    Files.createDirectories(in.dir());
    return in.dir().resolve(in.name() + "-" + suffix + ".png");
  }
}
