package org.handgrad.app;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.handgrad.app.caption.AttentionGrid;
import org.handgrad.app.train.AugmentedModel;
import org.handgrad.app.train.RunSpec;
import org.handgrad.app.train.TrainedModel;
import org.handgrad.io.Png;
import org.handgrad.models.vit.AttentionRollout;
import org.handgrad.models.vit.VisionTransformer;
import org.handgrad.nn.Model;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code ./handgrad predict --checkpoint PATH IMAGE.png...}: the top classes of each image with
 * their softmax probabilities.
 *
 * <p>Each image is brought to the model's input the way the training images were made: converted to
 * grey (ITU-R BT.601 luma) or to RGB (grey replicated) to match the model's channels, resized to
 * its H x W by area averaging (each output pixel is the mean of the input area it covers, which
 * avoids aliasing when shrinking), scaled to [0, 1], then preprocessed with the statistics stored
 * in the checkpoint. MNIST and Fashion-MNIST show light objects on a black background; photos
 * usually have a light background, so {@code --invert auto} inverts grey images whose border is
 * light. For the SVM the "probabilities" are a softmax of its scores, which it was not trained to
 * calibrate.
 */
@Command(
    name = "predict",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Classify PNG images with a trained checkpoint: top classes with probabilities.",
      "Images are converted to the model's channels, resized to its input size by area"
          + " averaging and preprocessed as the training images were.",
      ""
    },
    footer = {
      "",
      "Example:",
      "  ./handgrad predict --checkpoint runs/cnn-fashion-mnist-X boot.png"
    })
public final class PredictCommand implements Callable<Integer> {
  @Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--checkpoint",
      required = true,
      paramLabel = "PATH",
      description = "A checkpoint .json, a folder of checkpoints or a run folder (newest).")
  Path checkpoint;

  @Parameters(paramLabel = "IMAGE", arity = "1..*", description = "PNG (or JPEG, BMP) files.")
  List<Path> images;

  @Option(
      names = "--top",
      paramLabel = "K",
      defaultValue = "3",
      description = "Classes to show per image (default: ${DEFAULT-VALUE}).")
  int top;

  @Option(
      names = "--invert",
      paramLabel = "WHEN",
      defaultValue = "auto",
      description =
          "Invert grey images (light objects on dark, as MNIST): auto (when the border is light"
              + " and the model is grey), yes, no (default: ${DEFAULT-VALUE}).")
  String invert;

  @Option(names = "--latest", description = "Use the latest parameters instead of the best.")
  boolean latest;

  @Option(
      names = "--attention",
      paramLabel = "DIR",
      description =
          "vit checkpoints: also write DIR/<image>-attention.png: the image, the class token's"
              + " attention over the patches for each head of the last layer, and the attention"
              + " rollout over all layers (Abnar and Zuidema 2020).")
  Path attention;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (top < 1) {
      err.println("error: --top must be >= 1, got " + top);
      err.flush();
      return 2;
    }
    if (!List.of("auto", "yes", "no").contains(invert)) {
      err.println("error: --invert must be auto, yes or no, got '" + invert + "'");
      return 2;
    }
    try {
      TrainedModel tm = TrainedModel.load(checkpoint, latest);
      RunSpec s = tm.spec();
      Model inner = tm.model() instanceof AugmentedModel a ? a.inner() : tm.model();
      if (attention != null && !(inner instanceof VisionTransformer)) {
        err.println(
            "error: --attention needs a vit checkpoint (attention maps come from the Vision"
                + " Transformer's self-attention); "
                + checkpoint
                + " holds a "
                + inner.getClass().getSimpleName());
        return 2;
      }
      int k = Math.max(1, Math.min(top, s.classNames().size()));
      int failed = 0;
      for (Path image : images) {
        Tensor raw;
        try {
          raw = Png.read(image);
        } catch (IOException e) {
          err.println("error: " + Errors.message(e));
          failed++;
          continue;
        }
        int[] in = s.inputShape();
        Tensor x = toInput(raw, in[0], in[1], in[2]);
        boolean inverted =
            invert.equals("yes") || (invert.equals("auto") && in[0] == 1 && borderMean(x) > 0.5);
        if (inverted) {
          x = invert(x);
        }
        Tensor batch = x.reshape(1, in[0], in[1], in[2]).to(s.dtype());
        Tensor scores = tm.model().loss(s.preprocessing().apply(batch));
        double[] p = softmax(scores.toDoubleArray());
        int[] order = topK(p, k);
        StringBuilder sb = new StringBuilder(image.toString()).append(':');
        for (int r = 0; r < k; r++) {
          sb.append(
              String.format(
                  Locale.ROOT, "  %d. %s %.3f", r + 1, s.classNames().get(order[r]), p[order[r]]));
        }
        if (inverted) {
          sb.append("  (inverted)");
        }
        if (attention != null) {
          Path png = attentionMap((VisionTransformer) inner, s, batch, x, image);
          sb.append("  attention: ").append(png);
        }
        out.println(sb);
      }
      out.flush();
      return failed == 0 ? 0 : 1;
    } catch (IOException | IllegalArgumentException e) {
      err.println("error: " + Errors.message(e));
      return 1;
    } finally {
      err.flush();
    }
  }

  /**
   * Writes the attention maps of one image: one panel per head of the last layer (the class token's
   * attention over the patches) and one for the rollout over all layers.
   *
   * @param batch the image as the model's input before preprocessing, shape (1, C, H, W)
   * @param shown the image to draw, shape (C, H, W) in [0, 1]
   * @return the PNG written
   */
  private Path attentionMap(
      VisionTransformer vit, RunSpec s, Tensor batch, Tensor shown, Path image) throws IOException {
    List<Tensor> maps = vit.attentionMaps(s.preprocessing().apply(batch));
    Tensor heads = AttentionRollout.clsAttention(maps.get(maps.size() - 1)); // (1, H, L)
    Tensor rollout = AttentionRollout.rollout(maps); // (1, L)
    int h = heads.shape(1);
    int l = heads.shape(2);
    Tensor panels = Tensor.concatenate(1, heads, rollout.reshape(1, 1, l));
    List<String> labels = new ArrayList<>();
    for (int i = 0; i < h; i++) {
      labels.add("head " + (i + 1));
    }
    labels.add("rollout");
    java.nio.file.Files.createDirectories(attention);
    String name = image.getFileName().toString().replaceFirst("\\.[^.]*$", "");
    Path png = attention.resolve(name + "-attention.png");
    AttentionGrid.write(
        png,
        shown.reshape(1, shown.shape(0), shown.shape(1), shown.shape(2)).to(DType.FLOAT32),
        List.of(labels),
        panels,
        "ViT: class-token attention per head (last layer), and rollout over "
            + maps.size()
            + " layers");
    return png;
  }

  /**
   * An image as the model's input: channels converted, resized, scaled to [0, 1].
   *
   * @param raw image, shape (1 or 3, h, w), values 0..255 ({@link Png#read})
   * @return shape (c, height, width), float32 in [0, 1]
   */
  static Tensor toInput(Tensor raw, int c, int height, int width) {
    int rc = raw.shape(0);
    int h = raw.shape(1);
    int w = raw.shape(2);
    float[] a = raw.contiguous().to(DType.FLOAT32).toFloatArray();
    float[] grey = null;
    if (c == 1 && rc == 3) {
      grey = new float[h * w];
      for (int i = 0; i < h * w; i++) {
        grey[i] = (float) (0.299 * a[i] + 0.587 * a[h * w + i] + 0.114 * a[2 * h * w + i]);
      }
    }
    float[] out = new float[c * height * width];
    double[][] wy = areaWeights(h, height);
    double[][] wx = areaWeights(w, width);
    for (int ch = 0; ch < c; ch++) {
      float[] src = grey;
      int off = 0;
      if (src == null) {
        src = a;
        off = (rc == 1 ? 0 : ch) * h * w; // grey replicated into every channel
      }
      // Separable: rows first (h -> height), then columns (w -> width).
      double[] tmp = new double[height * w];
      for (int i = 0; i < height; i++) {
        for (int y = 0; y < h; y++) {
          double wt = wy[i][y];
          if (wt != 0) {
            for (int x = 0; x < w; x++) {
              tmp[i * w + x] += wt * src[off + y * w + x];
            }
          }
        }
      }
      for (int i = 0; i < height; i++) {
        for (int j = 0; j < width; j++) {
          double v = 0;
          for (int x = 0; x < w; x++) {
            v += wx[j][x] * tmp[i * w + x];
          }
          out[(ch * height + i) * width + j] = (float) (v / 255.0);
        }
      }
    }
    return Tensor.of(out, c, height, width);
  }

  /**
   * Area-averaging weights from n input pixels to m output pixels: output pixel i covers the input
   * interval [i n/m, (i+1) n/m); each input pixel weighs by its overlap, normalised to sum 1.
   *
   * @return shape (m, n)
   */
  static double[][] areaWeights(int n, int m) {
    double[][] wts = new double[m][n];
    double scale = (double) n / m;
    for (int i = 0; i < m; i++) {
      double lo = i * scale;
      double hi = (i + 1) * scale;
      double sum = 0;
      for (int p = (int) Math.floor(lo); p < Math.min(n, (int) Math.ceil(hi)); p++) {
        double overlap = Math.min(hi, p + 1) - Math.max(lo, p);
        if (overlap > 0) {
          wts[i][p] = overlap;
          sum += overlap;
        }
      }
      for (int p = 0; p < n; p++) {
        wts[i][p] /= sum;
      }
    }
    return wts;
  }

  /** Mean of the outermost ring of pixels of a (C, H, W) image. */
  static double borderMean(Tensor x) {
    int c = x.shape(0);
    int h = x.shape(1);
    int w = x.shape(2);
    double sum = 0;
    int n = 0;
    for (int ch = 0; ch < c; ch++) {
      for (int i = 0; i < h; i++) {
        for (int j = 0; j < w; j++) {
          if (i == 0 || j == 0 || i == h - 1 || j == w - 1) {
            sum += x.get(ch, i, j);
            n++;
          }
        }
      }
    }
    return sum / n;
  }

  static Tensor invert(Tensor x) {
    float[] a = x.toFloatArray();
    for (int i = 0; i < a.length; i++) {
      a[i] = 1f - a[i];
    }
    return Tensor.of(a, x.shape());
  }

  /** Softmax of one row of scores, max-subtracted so exp cannot overflow. */
  static double[] softmax(double[] s) {
    double max = Double.NEGATIVE_INFINITY;
    for (double v : s) {
      max = Math.max(max, v);
    }
    double sum = 0;
    double[] p = new double[s.length];
    for (int i = 0; i < s.length; i++) {
      p[i] = Math.exp(s[i] - max);
      sum += p[i];
    }
    for (int i = 0; i < s.length; i++) {
      p[i] /= sum;
    }
    return p;
  }

  /** Indices of the k largest values, largest first (ties: smaller index first). */
  static int[] topK(double[] p, int k) {
    int[] order = new int[k];
    boolean[] used = new boolean[p.length];
    for (int r = 0; r < k; r++) {
      int best = -1;
      for (int i = 0; i < p.length; i++) {
        if (!used[i] && (best < 0 || p[i] > p[best])) {
          best = i;
        }
      }
      used[best] = true;
      order[r] = best;
    }
    return order;
  }
}
