package org.handgrad.app.generate;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.handgrad.models.gan.Dcgan;
import org.handgrad.models.vae.Vae;
import org.handgrad.tensor.DType;

/**
 * Everything that defines a {@code generate train --method vae|gan} run, written to {@code
 * RUN/config.json} (the same format name as the U-Net runs of {@link GenConfig}, told apart by the
 * method) and read back by {@code --resume}, {@code sample} and {@code eval}.
 *
 * @param method "vae" or "gan"
 * @param data "fashion-mnist", "mnist" or "shapes"
 * @param numTrain training images used (the first ones of the training split)
 * @param batchSize images per step
 * @param learningRate Adam's learning rate (both networks of the GAN)
 * @param seed seeds data order, noise and the GAN's fake labels (the networks have their own seed)
 * @param vae the VAE (method vae), else null
 * @param gan the DCGAN (method gan), else null
 */
public record LatentConfig(
    String method,
    String data,
    int numTrain,
    int batchSize,
    double learningRate,
    long seed,
    Vae.Config vae,
    Dcgan.Config gan) {

  /** The model options {@code --set} accepts for a VAE. */
  public static final List<String> VAE_KEYS = List.of("hidden", "latent", "likelihood", "sigma");

  /** The model options {@code --set} accepts for a GAN. */
  public static final List<String> GAN_KEYS = List.of("noise_dim", "width", "num_classes", "loss");

  /** Validates names, ranges and that exactly the method's model is given. */
  public LatentConfig {
    if (!isLatent(method)) {
      throw new IllegalArgumentException("--method: expected vae or gan, got '" + method + "'");
    }
    GenData.requireKnown(data);
    if (numTrain < 1) {
      throw new IllegalArgumentException("--num-train must be >= 1, got " + numTrain);
    }
    if (batchSize < 1) {
      throw new IllegalArgumentException("--batch-size must be >= 1, got " + batchSize);
    }
    if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
      throw new IllegalArgumentException("--lr must be finite and > 0, got " + learningRate);
    }
    if ((vae != null) != method.equals("vae") || (gan != null) != method.equals("gan")) {
      throw new IllegalArgumentException(method + " run: its model configuration is missing");
    }
  }

  /** Whether a method name is one of the two models of this record. */
  public static boolean isLatent(String method) {
    return "vae".equals(method) || "gan".equals(method);
  }

  /** Whether a config map read from {@code config.json} is a VAE or GAN run. */
  public static boolean isLatent(Map<?, ?> m) {
    return isLatent(String.valueOf(m.get("method")));
  }

  /** (C, H, W) of the images. */
  public int[] imageShape() {
    return GenData.imageShape(data);
  }

  /** Classes of the conditional GAN, else 0. */
  public int numClasses() {
    return gan != null ? gan.numClasses() : 0;
  }

  /**
   * A configuration from the command line's values and {@code --set key=value} model options.
   *
   * @param model the {@code --set} options: vae hidden, latent, likelihood (bernoulli or gaussian),
   *     sigma, seed; gan noise_dim, width, num_classes (0 = unconditional; default 10), loss (bce
   *     or ls), seed
   * @param batchSize null for the default, 128 (both trainers' default)
   * @param learningRate null for the default: 1e-3 for the VAE, 2e-4 for the GAN
   */
  public static LatentConfig of(
      String method,
      String data,
      int numTrain,
      Integer batchSize,
      Double learningRate,
      long seed,
      Map<String, String> model) {
    if (!isLatent(method)) {
      throw new IllegalArgumentException("--method: expected vae or gan, got '" + method + "'");
    }
    List<String> known = method.equals("vae") ? VAE_KEYS : GAN_KEYS;
    for (String k : model.keySet()) {
      if (!known.contains(k) && !k.equals("seed")) {
        throw new IllegalArgumentException(
            "--set: unknown "
                + method
                + " option '"
                + k
                + "'; known: "
                + String.join(", ", known)
                + ", seed");
      }
    }
    int[] shape = GenData.imageShape(data);
    long netSeed = model.containsKey("seed") ? parseLong("seed", model.get("seed")) : 0;
    Vae.Config vae = null;
    Dcgan.Config gan = null;
    if (method.equals("vae")) {
      Vae.Config d = Vae.Config.fashionMnist();
      vae =
          new Vae.Config(
              shape,
              model.containsKey("hidden") ? parseInt("hidden", model.get("hidden")) : d.hidden(),
              model.containsKey("latent") ? parseInt("latent", model.get("latent")) : d.latent(),
              model.containsKey("likelihood")
                  ? likelihood(model.get("likelihood"))
                  : d.likelihood(),
              model.containsKey("sigma") ? parseDouble("sigma", model.get("sigma")) : d.sigma(),
              DType.FLOAT32,
              netSeed);
    } else {
      Dcgan.Config d = Dcgan.Config.fashionMnist();
      gan =
          new Dcgan.Config(
              shape,
              model.containsKey("noise_dim")
                  ? parseInt("noise_dim", model.get("noise_dim"))
                  : d.noiseDim(),
              model.containsKey("width") ? parseInt("width", model.get("width")) : d.width(),
              model.containsKey("num_classes")
                  ? parseInt("num_classes", model.get("num_classes"))
                  : 10,
              model.containsKey("loss") ? lossKind(model.get("loss")) : d.loss(),
              DType.FLOAT32,
              netSeed);
    }
    return new LatentConfig(
        method,
        data,
        numTrain,
        batchSize != null ? batchSize : 128,
        learningRate != null ? learningRate : method.equals("vae") ? 1e-3 : 2e-4,
        seed,
        vae,
        gan);
  }

  /** One line for logs. */
  public String describe() {
    return String.format(
        Locale.ROOT,
        "%s on %s (%d images), batch %d, Adam lr %g%s",
        method,
        data,
        numTrain,
        batchSize,
        learningRate,
        gan != null ? " beta1 0.5" : "");
  }

  /** A JSON-ready map. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("format", "handgrad-generate-run");
    m.put("method", method);
    m.put("data", data);
    m.put("num_train", numTrain);
    m.put("batch_size", batchSize);
    m.put("lr", learningRate);
    m.put("seed", seed);
    Map<String, Object> net = new LinkedHashMap<>();
    if (vae != null) {
      net.put("hidden", vae.hidden());
      net.put("latent", vae.latent());
      net.put("likelihood", vae.likelihood().name().toLowerCase(Locale.ROOT));
      net.put("sigma", vae.sigma());
      net.put("seed", vae.seed());
    } else {
      net.put("noise_dim", gan.noiseDim());
      net.put("width", gan.width());
      net.put("num_classes", gan.numClasses());
      net.put("loss", gan.loss() == Dcgan.LossKind.BCE ? "bce" : "ls");
      net.put("seed", gan.seed());
    }
    m.put(method, net);
    return m;
  }

  /**
   * Reads a map written by {@link #toMap()}.
   *
   * @throws IllegalArgumentException naming a missing or malformed key
   */
  public static LatentConfig fromMap(Map<?, ?> m) {
    if (!"handgrad-generate-run".equals(m.get("format"))) {
      throw new IllegalArgumentException(
          "not a './handgrad generate train' run (config format " + m.get("format") + ")");
    }
    String method = String.valueOf(req(m, "method"));
    if (!isLatent(method)) {
      throw new IllegalArgumentException("config: method " + method + " is not vae or gan");
    }
    Map<?, ?> net = (Map<?, ?>) req(m, method);
    Map<String, String> model = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : net.entrySet()) {
      Object v = e.getValue();
      // integers stay integers (JSON numbers may come back as doubles)
      String s =
          v instanceof Number n && !(e.getKey().equals("sigma"))
              ? Long.toString(n.longValue())
              : v.toString();
      model.put(e.getKey().toString(), s);
    }
    return of(
        method,
        String.valueOf(req(m, "data")),
        ((Number) req(m, "num_train")).intValue(),
        ((Number) req(m, "batch_size")).intValue(),
        ((Number) req(m, "lr")).doubleValue(),
        ((Number) req(m, "seed")).longValue(),
        model);
  }

  private static Object req(Map<?, ?> m, String key) {
    Object v = m.get(key);
    if (v == null) {
      throw new IllegalArgumentException("config: missing '" + key + "'");
    }
    return v;
  }

  private static Vae.Likelihood likelihood(String v) {
    return switch (v) {
      case "bernoulli" -> Vae.Likelihood.BERNOULLI;
      case "gaussian" -> Vae.Likelihood.GAUSSIAN;
      default ->
          throw new IllegalArgumentException(
              "--set likelihood: expected bernoulli or gaussian, got '" + v + "'");
    };
  }

  private static Dcgan.LossKind lossKind(String v) {
    return switch (v) {
      case "bce" -> Dcgan.LossKind.BCE;
      case "ls" -> Dcgan.LossKind.LEAST_SQUARES;
      default ->
          throw new IllegalArgumentException("--set loss: expected bce or ls, got '" + v + "'");
    };
  }

  private static int parseInt(String key, String v) {
    try {
      return Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--set " + key + ": expected an integer, got '" + v + "'");
    }
  }

  private static long parseLong(String key, String v) {
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--set " + key + ": expected an integer, got '" + v + "'");
    }
  }

  private static double parseDouble(String key, String v) {
    try {
      return Double.parseDouble(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--set " + key + ": expected a number, got '" + v + "'");
    }
  }
}
