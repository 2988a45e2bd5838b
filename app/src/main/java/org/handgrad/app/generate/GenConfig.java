package org.handgrad.app.generate;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.handgrad.models.diffusion.BetaSchedule;
import org.handgrad.models.diffusion.GaussianDiffusion;
import org.handgrad.models.diffusion.Objective;
import org.handgrad.models.diffusion.RectifiedFlow;
import org.handgrad.models.diffusion.UNetConfig;
import org.handgrad.tensor.DType;

/**
 * Everything that defines a {@code generate train} run, written to {@code RUN/config.json} and read
 * back by {@code --resume}, {@code sample} and {@code eval}.
 *
 * @param method "ddpm" or "flow"
 * @param data "fashion-mnist", "mnist" or "shapes"
 * @param numTrain training images used (the first ones of the training split)
 * @param schedule beta schedule name (ddpm)
 * @param objective eps, x0 or v (ddpm)
 * @param timesteps T (ddpm)
 * @param condDrop label drop probability of classifier-free guidance training
 * @param batchSize images per step
 * @param learningRate Adam's learning rate
 * @param emaDecay decay of the weight average
 * @param seed seeds data order, times, noise and label drops (the U-Net has its own seed)
 * @param unet the denoiser
 */
public record GenConfig(
    String method,
    String data,
    int numTrain,
    String schedule,
    String objective,
    int timesteps,
    double condDrop,
    int batchSize,
    double learningRate,
    double emaDecay,
    long seed,
    UNetConfig unet) {

  /** Validates names and ranges with messages naming the option. */
  public GenConfig {
    if (!method.equals("ddpm") && !method.equals("flow")) {
      throw new IllegalArgumentException(
          "--method: expected ddpm, flow, vae or gan, got '" + method + "'");
    }
    GenData.requireKnown(data);
    if (numTrain < 1) {
      throw new IllegalArgumentException("--num-train must be >= 1, got " + numTrain);
    }
    if (!(condDrop >= 0 && condDrop <= 1)) {
      throw new IllegalArgumentException("--guidance-drop must be in [0, 1], got " + condDrop);
    }
    if (condDrop > 0 && unet.numClasses() == 0) {
      throw new IllegalArgumentException(
          "--guidance-drop " + condDrop + " needs a class-conditional U-Net (num_classes > 0)");
    }
    if (batchSize < 1) {
      throw new IllegalArgumentException("--batch-size must be >= 1, got " + batchSize);
    }
    if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
      throw new IllegalArgumentException("--lr must be finite and > 0, got " + learningRate);
    }
    if (!(emaDecay >= 0 && emaDecay < 1)) {
      throw new IllegalArgumentException("--ema-decay must be in [0, 1), got " + emaDecay);
    }
    if (method.equals("ddpm")) {
      diffusionOf(schedule, timesteps, objective); // validates the three
    }
  }

  /** The DDPM process of this run. */
  public GaussianDiffusion diffusion() {
    return diffusionOf(schedule, timesteps, objective);
  }

  /** The flow of this run. */
  public RectifiedFlow flow() {
    return new RectifiedFlow();
  }

  /** Whether the method is DDPM (else rectified flow). */
  public boolean isDdpm() {
    return method.equals("ddpm");
  }

  /** (C, H, W) of the images. */
  public int[] imageShape() {
    return GenData.imageShape(data);
  }

  private static GaussianDiffusion diffusionOf(String schedule, int t, String objective) {
    return new GaussianDiffusion(BetaSchedule.of(schedule), t, Objective.of(objective));
  }

  /** A JSON-ready map. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("format", "handgrad-generate-run");
    m.put("method", method);
    m.put("data", data);
    m.put("num_train", numTrain);
    m.put("schedule", schedule);
    m.put("objective", objective);
    m.put("timesteps", timesteps);
    m.put("guidance_drop", condDrop);
    m.put("batch_size", batchSize);
    m.put("lr", learningRate);
    m.put("ema_decay", emaDecay);
    m.put("seed", seed);
    Map<String, Object> u = new LinkedHashMap<>();
    u.put("in_channels", unet.inChannels());
    u.put("base_width", unet.baseWidth());
    List<Object> widths = new ArrayList<>();
    for (int w : unet.widths()) {
      widths.add(w);
    }
    u.put("widths", widths);
    u.put("time_dim", unet.timeDim());
    u.put("num_classes", unet.numClasses());
    u.put("groups", unet.groups());
    u.put("heads", unet.heads());
    u.put("dtype", unet.dtype().numpyName());
    u.put("seed", unet.seed());
    m.put("unet", u);
    return m;
  }

  /**
   * Reads a map written by {@link #toMap()}.
   *
   * @throws IllegalArgumentException naming a missing or malformed key
   */
  public static GenConfig fromMap(Map<?, ?> m) {
    if (!"handgrad-generate-run".equals(m.get("format"))) {
      throw new IllegalArgumentException(
          "not a './handgrad generate train' run (config format " + m.get("format") + ")");
    }
    Map<?, ?> u = (Map<?, ?>) req(m, "unet");
    List<?> ws = (List<?>) req(u, "widths");
    int[] widths = new int[ws.size()];
    for (int i = 0; i < widths.length; i++) {
      widths[i] = ((Number) ws.get(i)).intValue();
    }
    UNetConfig unet =
        new UNetConfig(
            integer(u, "in_channels"),
            integer(u, "base_width"),
            widths,
            integer(u, "time_dim"),
            integer(u, "num_classes"),
            integer(u, "groups"),
            integer(u, "heads"),
            dtype((String) req(u, "dtype")),
            ((Number) req(u, "seed")).longValue());
    return new GenConfig(
        (String) req(m, "method"),
        (String) req(m, "data"),
        integer(m, "num_train"),
        (String) req(m, "schedule"),
        (String) req(m, "objective"),
        integer(m, "timesteps"),
        number(m, "guidance_drop"),
        integer(m, "batch_size"),
        number(m, "lr"),
        number(m, "ema_decay"),
        ((Number) req(m, "seed")).longValue(),
        unet);
  }

  /** One line for the log. */
  public String describe() {
    return String.format(
        Locale.ROOT,
        "%s on %s (%d images)%s, batch %d, Adam lr %g, EMA %g, guidance drop %g",
        method,
        data,
        numTrain,
        isDdpm()
            ? ", " + schedule + " schedule, T=" + timesteps + ", " + objective + " target"
            : "",
        batchSize,
        learningRate,
        emaDecay,
        condDrop);
  }

  private static DType dtype(String name) {
    return switch (name) {
      case "float32" -> DType.FLOAT32;
      case "float64" -> DType.FLOAT64;
      default -> throw new IllegalArgumentException("run config: unknown dtype '" + name + "'");
    };
  }

  private static Object req(Map<?, ?> m, String key) {
    Object v = m.get(key);
    if (v == null) {
      throw new IllegalArgumentException("run config: missing '" + key + "'");
    }
    return v;
  }

  private static int integer(Map<?, ?> m, String key) {
    return ((Number) req(m, key)).intValue();
  }

  private static double number(Map<?, ?> m, String key) {
    return ((Number) req(m, key)).doubleValue();
  }
}
