package org.handgrad.models;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import org.handgrad.models.cnn.BnConvNet;
import org.handgrad.models.cnn.ThreeLayerConvNet;
import org.handgrad.models.fc.FullyConnectedNet;
import org.handgrad.models.fc.Normalization;
import org.handgrad.models.fc.TwoLayerNet;
import org.handgrad.models.knn.KNearestNeighbor;
import org.handgrad.models.linear.LinearClassifier;
import org.handgrad.models.linear.LinearSvm;
import org.handgrad.models.linear.Softmax;
import org.handgrad.models.resnet.ResNet;
import org.handgrad.models.speedrun.SpeedrunNet;
import org.handgrad.models.vit.VisionTransformer;
import org.handgrad.nn.Model;
import org.handgrad.tensor.DType;

/**
 * The model registry behind {@code ./handgrad train --model NAME}: CLI names to constructors that
 * read a string config map (as given on a command line, {@code key=value}).
 *
 * <p>Keys shared by all models: {@code input_shape} (e.g. "1,28,28" or "784"; default each model's
 * CS231n default), {@code num_classes} (10), {@code dtype} (float32 or float64), {@code seed} (0).
 * Model keys: see {@link #keys(String)} and the table in docs/conventions.md, "models". Unknown
 * keys are errors (a typo must not silently train the default model). Every value not given takes
 * the model's CS231n default.
 */
public final class Models {
  private Models() {}

  private record Entry(
      String description, Set<String> keys, Function<Config, ? extends Classifier> factory) {}

  private static final List<String> COMMON = List.of("input_shape", "num_classes", "dtype", "seed");

  private static final Map<String, Entry> REGISTRY = new LinkedHashMap<>();

  static {
    add("knn", "k-nearest neighbours, L2 distance", List.of("k"), Models::knn);
    add(
        "svm",
        "linear multiclass SVM (implicit bias row)",
        List.of("reg", "weight_scale"),
        c -> new LinearSvm(linear(c)));
    add(
        "softmax",
        "linear softmax classifier (implicit bias row)",
        List.of("reg", "weight_scale"),
        c -> new Softmax(linear(c)));
    add(
        "two-layer",
        "affine - relu - affine - softmax",
        List.of("hidden_dim", "reg", "weight_scale"),
        Models::twoLayer);
    add(
        "fc",
        "fully connected net of any depth with batchnorm/layernorm and dropout",
        List.of("hidden_dims", "normalization", "dropout", "reg", "weight_scale"),
        Models::fc);
    add(
        "cnn",
        "conv - relu - 2x2 max pool - affine - relu - affine - softmax",
        List.of("num_filters", "filter_size", "hidden_dim", "reg", "weight_scale"),
        Models::cnn);
    add(
        "bn-cnn",
        "VGG-style convnet with batchnorm for Fashion-MNIST",
        List.of("widths", "convs_per_stage", "hidden_dim", "dropout", "reg"),
        Models::bnCnn);
    add(
        "vit",
        "Vision Transformer: patches (or stem=conv), CLS token, learned positions, pre-norm encoder"
            + " layers",
        List.of("patch", "dim", "depth", "heads", "mlp_dim", "dropout", "stem"),
        Models::vit);
    add(
        "resnet18",
        "torchvision's ResNet-18: 7x7 stem, max pool, four stages of basic blocks, torchvision names",
        List.of("widths", "blocks"),
        c -> resnet(c, ResNet.Config.resnet18()));
    add(
        "resnet-small",
        "CIFAR-style ResNet (3x3 stem, widths 16/32/64; blocks=n gives ResNet-(6n+2))",
        List.of("widths", "blocks"),
        c -> resnet(c, ResNet.Config.small()));
    add(
        "speedrun",
        "the Fashion-MNIST speedrun's VGG-style net: conv groups (conv, pool, bn, relu, conv, bn,"
            + " relu), global average pool",
        List.of("widths", "tta"),
        Models::speedrun);
  }

  private static void add(
      String name,
      String description,
      List<String> keys,
      Function<Config, ? extends Classifier> factory) {
    Set<String> all = new TreeSet<>(COMMON);
    all.addAll(keys);
    REGISTRY.put(name, new Entry(description, all, factory));
  }

  /** The CLI names, in registration order. */
  public static List<String> names() {
    return List.copyOf(REGISTRY.keySet());
  }

  /** One-line description of a model. */
  public static String description(String name) {
    return entry(name).description();
  }

  /** The config keys a model accepts, sorted. */
  public static Set<String> keys(String name) {
    return entry(name).keys();
  }

  /**
   * Builds a model.
   *
   * @param name a CLI name from {@link #names()}
   * @param config key=value settings; missing keys take the defaults
   * @throws IllegalArgumentException on an unknown name (listing the known ones), an unknown key
   *     (listing the accepted ones) or a malformed value
   */
  public static Classifier create(String name, Map<String, String> config) {
    Entry e = entry(name);
    Objects.requireNonNull(config, "config");
    List<String> unknown = new ArrayList<>();
    for (String k : config.keySet()) {
      if (!e.keys().contains(k)) {
        unknown.add(k);
      }
    }
    if (!unknown.isEmpty()) {
      throw new IllegalArgumentException(
          "model " + name + ": unknown config key(s) " + unknown + "; accepted: " + e.keys());
    }
    return e.factory().apply(new Config(name, config));
  }

  /**
   * Builds a model trainable by gradient descent.
   *
   * @throws IllegalArgumentException as {@link #create}, or for a model that is not a {@link Model}
   *     (knn)
   */
  public static Model createModel(String name, Map<String, String> config) {
    Classifier c = create(name, config);
    if (!(c instanceof Model m)) {
      throw new IllegalArgumentException(
          "model "
              + name
              + " is not trained by gradient descent (no parameters or loss); trainable models: "
              + trainableNames());
    }
    return m;
  }

  private static List<String> trainableNames() {
    return names().stream().filter(n -> !n.equals("knn")).toList();
  }

  private static Entry entry(String name) {
    Entry e = REGISTRY.get(name);
    if (e == null) {
      throw new IllegalArgumentException(
          "unknown model '" + name + "'; known models: " + String.join(", ", names()));
    }
    return e;
  }

  // ---------------------------------------------------------------- factories

  private static KNearestNeighbor knn(Config c) {
    return new KNearestNeighbor(c.integer("k", 1));
  }

  private static LinearClassifier.Config linear(Config c) {
    int[] shape = c.ints("input_shape", new int[] {3, 32, 32});
    return new LinearClassifier.Config(
        Nets.product(shape),
        c.integer("num_classes", 10),
        c.number("reg", 0.0),
        c.number("weight_scale", 1e-3),
        true,
        c.dtype(DType.FLOAT64),
        c.seed());
  }

  private static TwoLayerNet twoLayer(Config c) {
    TwoLayerNet.Config d = TwoLayerNet.Config.defaults();
    return new TwoLayerNet(
        new TwoLayerNet.Config(
            Nets.product(c.ints("input_shape", new int[] {d.inputDim()})),
            c.integer("hidden_dim", d.hiddenDim()),
            c.integer("num_classes", d.numClasses()),
            c.number("weight_scale", d.weightScale()),
            c.number("reg", d.reg()),
            c.dtype(d.dtype()),
            c.seed()));
  }

  private static FullyConnectedNet fc(Config c) {
    FullyConnectedNet.Config d = FullyConnectedNet.Config.of(100, 100);
    return new FullyConnectedNet(
        new FullyConnectedNet.Config(
            c.ints("hidden_dims", d.hiddenDims()),
            Nets.product(c.ints("input_shape", new int[] {d.inputDim()})),
            c.integer("num_classes", d.numClasses()),
            c.number("dropout", d.dropoutKeepRatio()),
            Normalization.byName(c.string("normalization", "none")),
            c.number("reg", d.reg()),
            c.number("weight_scale", d.weightScale()),
            c.dtype(d.dtype()),
            c.seed()));
  }

  private static ThreeLayerConvNet cnn(Config c) {
    ThreeLayerConvNet.Config d = ThreeLayerConvNet.Config.defaults();
    return new ThreeLayerConvNet(
        new ThreeLayerConvNet.Config(
            c.ints("input_shape", d.inputDim()),
            c.integer("num_filters", d.numFilters()),
            c.integer("filter_size", d.filterSize()),
            c.integer("hidden_dim", d.hiddenDim()),
            c.integer("num_classes", d.numClasses()),
            c.number("weight_scale", d.weightScale()),
            c.number("reg", d.reg()),
            c.dtype(d.dtype()),
            c.seed()));
  }

  private static BnConvNet bnCnn(Config c) {
    BnConvNet.Config d = BnConvNet.Config.fashionMnist();
    return new BnConvNet(
        new BnConvNet.Config(
            c.ints("input_shape", d.inputDim()),
            c.ints("widths", d.widths()),
            c.integer("convs_per_stage", d.convsPerStage()),
            c.integer("hidden_dim", d.hiddenDim()),
            c.integer("num_classes", d.numClasses()),
            c.number("dropout", d.dropoutKeepRatio()),
            c.number("reg", d.reg()),
            c.dtype(d.dtype()),
            c.seed()));
  }

  private static VisionTransformer vit(Config c) {
    VisionTransformer.Config d = VisionTransformer.Config.tiny();
    int dim = c.integer("dim", d.dim());
    int[] in = c.ints("input_shape", d.inputDim());
    // Default patch: 7 for 28x28 (16 tokens, the anchor's tiny ViT), 4 for 32x32 (CIFAR ViTs).
    int patch = 1;
    for (int p : new int[] {7, 4, 2}) {
      if (in.length == 3 && in[1] % p == 0 && in[2] % p == 0) {
        patch = p;
        break;
      }
    }
    return new VisionTransformer(
        new VisionTransformer.Config(
            in,
            c.integer("patch", patch),
            dim,
            c.integer("depth", d.depth()),
            c.integer("heads", d.heads()),
            c.integer("mlp_dim", 4 * dim),
            c.integer("num_classes", d.numClasses()),
            c.number("dropout", d.dropout()),
            c.dtype(d.dtype()),
            c.seed(),
            VisionTransformer.Stem.parse(c.string("stem", d.stem().configName()))));
  }

  private static ResNet resnet(Config c, ResNet.Config d) {
    int[] widths = c.ints("widths", d.widths());
    int[] blocks = c.ints("blocks", d.blocks());
    if (blocks.length == 1 && widths.length > 1) {
      // "blocks=3" means three per stage (ResNet-20 for the CIFAR stem).
      int n = blocks[0];
      blocks = new int[widths.length];
      Arrays.fill(blocks, n);
    }
    return new ResNet(
        new ResNet.Config(
            c.ints("input_shape", d.inputDim()),
            d.stem(),
            widths,
            blocks,
            c.integer("num_classes", d.numClasses()),
            c.dtype(d.dtype()),
            c.seed()));
  }

  private static SpeedrunNet speedrun(Config c) {
    SpeedrunNet.Config d = SpeedrunNet.Config.fashionMnist();
    String tta = c.string("tta", "none").trim();
    if (!tta.equals("none") && !tta.equals("flip")) {
      throw new IllegalArgumentException(
          "model speedrun: tta must be none or flip, got '" + tta + "'");
    }
    return new SpeedrunNet(
        new SpeedrunNet.Config(
            c.ints("input_shape", d.inputDim()),
            c.ints("widths", d.widths()),
            c.integer("num_classes", d.numClasses()),
            tta.equals("flip"),
            c.dtype(d.dtype()),
            c.seed()));
  }

  /** Typed reads from the string map, with messages naming the model and the key. */
  private record Config(String model, Map<String, String> values) {
    String string(String key, String fallback) {
      return values.getOrDefault(key, fallback);
    }

    int integer(String key, int fallback) {
      String v = values.get(key);
      if (v == null) {
        return fallback;
      }
      try {
        return Integer.parseInt(v.trim());
      } catch (NumberFormatException e) {
        throw bad(key, v, "an integer");
      }
    }

    long seed() {
      String v = values.get("seed");
      if (v == null) {
        return 0;
      }
      try {
        return Long.parseLong(v.trim());
      } catch (NumberFormatException e) {
        throw bad("seed", v, "an integer");
      }
    }

    double number(String key, double fallback) {
      String v = values.get(key);
      if (v == null) {
        return fallback;
      }
      try {
        return Double.parseDouble(v.trim());
      } catch (NumberFormatException e) {
        throw bad(key, v, "a number");
      }
    }

    int[] ints(String key, int[] fallback) {
      String v = values.get(key);
      if (v == null) {
        return fallback;
      }
      String s = v.trim().replace("(", "").replace(")", "").replace("[", "").replace("]", "");
      if (s.isEmpty()) {
        return new int[0];
      }
      try {
        return Arrays.stream(s.split("[,x ]+")).mapToInt(t -> Integer.parseInt(t.trim())).toArray();
      } catch (NumberFormatException e) {
        throw bad(key, v, "a comma-separated list of integers such as 1,28,28");
      }
    }

    DType dtype(DType fallback) {
      String v = values.get("dtype");
      if (v == null) {
        return fallback;
      }
      return switch (v.trim()) {
        case "float32", "f32" -> DType.FLOAT32;
        case "float64", "f64" -> DType.FLOAT64;
        default -> throw bad("dtype", v, "float32 or float64");
      };
    }

    private IllegalArgumentException bad(String key, String value, String expected) {
      return new IllegalArgumentException(
          "model " + model + ": " + key + " must be " + expected + ", got '" + value + "'");
    }
  }
}
