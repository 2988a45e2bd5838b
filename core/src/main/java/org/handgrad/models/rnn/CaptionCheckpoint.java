package org.handgrad.models.rnn;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.handgrad.io.AtomicFiles;
import org.handgrad.io.Json;
import org.handgrad.io.Safetensors;
import org.handgrad.models.transformer.CaptioningTransformer;
import org.handgrad.nn.Parameter;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * A captioning checkpoint: a folder with
 *
 * <ul>
 *   <li>{@value #MODEL_FILE}: every parameter (CS231n names for the decoder, {@code enc.*} for the
 *       encoder) and the encoder's buffers, readable by PyTorch's {@code safetensors.torch};
 *   <li>{@value #OPTIMIZER_FILE}: the optimizer state ({@link
 *       org.handgrad.optim.Optimizer#stateDict()}), when the trainer saved one;
 *   <li>{@value #CONFIG_FILE}: the decoder and encoder settings, the vocabulary (word by id), and
 *       the trainer's options, iteration count and loss history.
 * </ul>
 *
 * <p>Every file is written atomically (a synced temporary file renamed over its target, {@link
 * AtomicFiles}), so a crash never leaves a half-written file; the config is written last, so a
 * folder whose config exists has complete tensor files from the same or a later save (a crash
 * between the renames of one save can pair new tensors with the previous config: the iteration
 * count then lags, which resumption tolerates).
 */
public final class CaptionCheckpoint {
  private CaptionCheckpoint() {}

  /** Parameters and buffers. */
  public static final String MODEL_FILE = "model.safetensors";

  /** Optimizer state. */
  public static final String OPTIMIZER_FILE = "optimizer.safetensors";

  /** Settings, vocabulary and progress. */
  public static final String CONFIG_FILE = "config.json";

  /** Marks the JSON layout. */
  public static final String FORMAT = "handgrad-captioning-1";

  /**
   * Where a training run stands.
   *
   * @param options the run's settings
   * @param iteration updates done
   * @param lossHistory the loss of every update
   */
  public record TrainerState(
      CaptioningTrainer.Options options, int iteration, List<Double> lossHistory) {
    /** Copies the history. */
    public TrainerState {
      Objects.requireNonNull(options, "options");
      lossHistory = List.copyOf(lossHistory);
    }
  }

  /**
   * A loaded checkpoint.
   *
   * @param model the model with the saved parameters and buffers
   * @param vocab words by id
   * @param trainer the training progress, or null when none was saved
   * @param optimizerState the optimizer state dict (empty when none was saved)
   */
  public record Loaded(
      CaptioningModel model,
      List<String> vocab,
      TrainerState trainer,
      Map<String, Tensor> optimizerState) {}

  /**
   * Writes a checkpoint into {@code dir} (created if needed).
   *
   * @param vocab words by id, length V
   * @param trainer progress, or null to save a model only
   * @param optimizerState optimizer state dict, or null
   */
  public static void save(
      Path dir,
      CaptioningModel model,
      List<String> vocab,
      TrainerState trainer,
      Map<String, Tensor> optimizerState)
      throws IOException {
    int v = model.decoder().vocabSize();
    if (vocab.size() != v) {
      throw new IllegalArgumentException(
          "CaptionCheckpoint.save: vocabulary has " + vocab.size() + " words but V = " + v);
    }
    Files.createDirectories(dir);
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    for (Parameter p : model.parameters()) {
      tensors.put(p.name(), p.value());
    }
    tensors.putAll(model.buffers());
    AtomicFiles.write(
        dir.resolve(MODEL_FILE), Safetensors.toBytes(tensors, Map.of("format", FORMAT)));
    if (optimizerState != null) {
      AtomicFiles.write(
          dir.resolve(OPTIMIZER_FILE),
          Safetensors.toBytes(optimizerState, Map.of("format", FORMAT)));
    }
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("format", FORMAT);
    json.put("decoder", model.decoder().describe());
    json.put("encoder", model.encoder().describe());
    json.put("vocab", List.copyOf(vocab));
    if (trainer != null) {
      Map<String, Object> t = new LinkedHashMap<>();
      t.put("options", trainer.options().toMap());
      t.put("iteration", trainer.iteration());
      t.put("loss_history", trainer.lossHistory());
      json.put("trainer", t);
    }
    AtomicFiles.write(
        dir.resolve(CONFIG_FILE), Json.writePretty(json).getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Reads a checkpoint folder.
   *
   * @throws IOException when a file is missing or unreadable
   * @throws IllegalArgumentException when the contents do not fit together (names, shapes)
   */
  @SuppressWarnings("unchecked")
  public static Loaded load(Path dir) throws IOException {
    Path config = dir.resolve(CONFIG_FILE);
    if (!Files.exists(config)) {
      throw new IOException(
          "no captioning checkpoint in " + dir + " (missing " + CONFIG_FILE + ")");
    }
    Map<String, Object> json =
        (Map<String, Object>) Json.parse(Files.readString(config, StandardCharsets.UTF_8));
    if (!FORMAT.equals(json.get("format"))) {
      throw new IllegalArgumentException(
          "CaptionCheckpoint: "
              + config
              + " has format "
              + json.get("format")
              + ", expected "
              + FORMAT);
    }
    CaptionDecoder decoder = decoder((Map<String, Object>) json.get("decoder"));
    ImageEncoder encoder = encoder((Map<String, Object>) json.get("encoder"));
    CaptioningModel model = new CaptioningModel(encoder, decoder);
    Map<String, Tensor> tensors = Safetensors.read(dir.resolve(MODEL_FILE)).tensors();
    for (Parameter p : model.parameters()) {
      p.assign(require(tensors, p.name(), dir));
    }
    for (Map.Entry<String, Tensor> e : model.buffers().entrySet()) {
      Tensor saved = require(tensors, e.getKey(), dir);
      if (!saved.sameShape(e.getValue()) || saved.dtype() != e.getValue().dtype()) {
        throw new IllegalArgumentException(
            "CaptionCheckpoint: buffer "
                + e.getKey()
                + " is "
                + saved.shapeString()
                + " "
                + saved.dtype().numpyName()
                + ", expected "
                + e.getValue().shapeString());
      }
      e.getValue().copyFrom(saved);
    }
    List<String> vocab = new ArrayList<>();
    for (Object w : (List<Object>) json.get("vocab")) {
      vocab.add((String) w);
    }
    TrainerState trainer = null;
    Map<String, Object> t = (Map<String, Object>) json.get("trainer");
    if (t != null) {
      List<Double> history = new ArrayList<>();
      for (Object x : (List<Object>) t.get("loss_history")) {
        history.add(((Number) x).doubleValue());
      }
      trainer =
          new TrainerState(
              CaptioningTrainer.Options.fromMap((Map<String, Object>) t.get("options")),
              ((Number) t.get("iteration")).intValue(),
              history);
    }
    Path opt = dir.resolve(OPTIMIZER_FILE);
    Map<String, Tensor> optimizerState =
        Files.exists(opt) ? Safetensors.read(opt).tensors() : Map.of();
    return new Loaded(model, vocab, trainer, optimizerState);
  }

  // ---------------------------------------------------------------- JSON <-> configs

  /**
   * The decoder a checkpoint's "decoder" map describes: kind "transformer" or "rnn"; a map without
   * a kind is an RNN/LSTM decoder (checkpoints written before the transformer).
   */
  static CaptionDecoder decoder(Map<String, Object> m) {
    Object kind = m.getOrDefault("kind", "rnn");
    if ("transformer".equals(kind)) {
      return new CaptioningTransformer(CaptioningTransformer.Config.fromMap(m));
    }
    if (!"rnn".equals(kind)) {
      throw new IllegalArgumentException(
          "CaptionCheckpoint: unknown decoder kind " + kind + "; known: rnn, transformer");
    }
    return new CaptioningRnn(decoderConfig(m));
  }

  static Map<String, Object> decoderMap(CaptioningRnn.Config c) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("kind", "rnn");
    m.put("vocab_size", c.vocabSize());
    m.put("input_dim", c.inputDim());
    m.put("wordvec_dim", c.wordvecDim());
    m.put("hidden_dim", c.hiddenDim());
    m.put("cell_type", c.cellType().cs231nName());
    m.put("dtype", c.dtype().numpyName());
    m.put("seed", c.seed());
    m.put("null_idx", c.tokens().nullIdx());
    m.put("start_idx", c.tokens().startIdx());
    m.put("end_idx", c.tokens().endIdx());
    return m;
  }

  static CaptioningRnn.Config decoderConfig(Map<String, Object> m) {
    return new CaptioningRnn.Config(
        integer(m, "vocab_size"),
        integer(m, "input_dim"),
        integer(m, "wordvec_dim"),
        integer(m, "hidden_dim"),
        CellType.parse((String) m.get("cell_type")),
        dtype((String) m.get("dtype")),
        ((Number) m.get("seed")).longValue(),
        new SpecialTokens(integer(m, "null_idx"), integer(m, "start_idx"), integer(m, "end_idx")));
  }

  @SuppressWarnings("unchecked")
  static ImageEncoder encoder(Map<String, Object> m) {
    String kind = (String) m.get("kind");
    return switch (kind) {
      case "conv" -> {
        List<Integer> widths = new ArrayList<>();
        for (Object w : (List<Object>) m.get("widths")) {
          widths.add(((Number) w).intValue());
        }
        yield new ConvEncoder(
            new ConvEncoder.Config(
                integer(m, "in_channels"),
                integer(m, "image_size"),
                widths,
                integer(m, "feature_dim"),
                dtype((String) m.get("dtype")),
                ((Number) m.get("seed")).longValue(),
                Boolean.TRUE.equals(m.get("regions"))));
      }
      case "features" -> new FeatureEncoder(integer(m, "feature_dim"));
      case "blind" -> new BlindEncoder(dtype((String) m.get("dtype")));
      default ->
          throw new IllegalArgumentException("CaptionCheckpoint: unknown encoder kind " + kind);
    };
  }

  /**
   * An integer entry of a checkpoint map.
   *
   * @throws IllegalArgumentException when it is missing or not a number
   */
  public static int integer(Map<String, Object> m, String key) {
    Object v = m.get(key);
    if (!(v instanceof Number n)) {
      throw new IllegalArgumentException("CaptionCheckpoint: missing number '" + key + "' in " + m);
    }
    return n.intValue();
  }

  /**
   * The dtype for its NumPy name ("float32", "float64", "int32"), as checkpoints store it.
   *
   * @throws IllegalArgumentException for another name
   */
  public static DType dtype(String name) {
    for (DType d : DType.values()) {
      if (d.numpyName().equals(name)) {
        return d;
      }
    }
    throw new IllegalArgumentException("CaptionCheckpoint: unknown dtype " + name);
  }

  private static Tensor require(Map<String, Tensor> tensors, String name, Path dir) {
    Tensor t = tensors.get(name);
    if (t == null) {
      throw new IllegalArgumentException(
          "CaptionCheckpoint: " + dir.resolve(MODEL_FILE) + " has no tensor '" + name + "'");
    }
    return t;
  }
}
