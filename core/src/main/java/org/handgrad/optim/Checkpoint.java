package org.handgrad.optim;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.handgrad.io.AtomicFiles;
import org.handgrad.io.Json;
import org.handgrad.io.Safetensors;
import org.handgrad.nn.Model;
import org.handgrad.nn.Parameter;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * Everything a {@link Solver} needs to continue a run exactly where it stopped: model parameters
 * and buffers, optimizer state, the random stream's state, epoch and iteration, histories and the
 * best parameters so far.
 *
 * <p><b>Files.</b> A checkpoint named {@code <name>_epoch_<E>_step_<S>} is three files in one
 * folder:
 *
 * <ul>
 *   <li>{@code .safetensors}: the model's parameters and buffers under their own names, a plain
 *       weights file that PyTorch / Hugging Face tools read;
 *   <li>{@code .state.safetensors}: training state, {@code best.param.<name>}, {@code
 *       best.buffer.<name>}, {@code optim.<key>} ({@link Optimizer#stateDict()}) and, mid-epoch,
 *       {@code permutation} (this epoch's shuffled order, int32);
 *   <li>{@code .json}: the entry point, written last: epoch, iteration, histories, best val
 *       accuracy, the random state, solver options (with the model's name and config), and the size
 *       and SHA-256 of both tensor files.
 * </ul>
 *
 * <p><b>Atomicity.</b> Each file is written to a temporary file, synced and renamed into place
 * ({@link AtomicFiles}); the JSON goes last. A crash at any point therefore leaves either the
 * complete new checkpoint or no new JSON at all, and the previous checkpoint (other file names,
 * thanks to the step suffix) untouched. The hashes catch the remaining case, files altered behind
 * the checkpoint's back: {@link #read} refuses parts that disagree.
 *
 * @param options the run's options (model name and config included)
 * @param epoch epochs completed
 * @param iteration iterations completed (the step)
 * @param rngState the Solver's random stream state after this iteration
 * @param lossHistory one loss per iteration done
 * @param trainAccHistory one train accuracy per check
 * @param valAccHistory one validation accuracy per check
 * @param bestValAcc best validation accuracy so far, NaN before the first check
 * @param parameters model parameter values by name, in model order
 * @param buffers model buffers by name
 * @param bestParameters parameter values at the best validation accuracy (empty before a check)
 * @param bestBuffers buffers at the best validation accuracy (empty before a check)
 * @param optimizerState {@link Optimizer#stateDict()}, plus {@link Ema#stateDict()} when the run
 *     averages its weights
 * @param permutation this epoch's example order, int32 shape (N,), or null at an epoch boundary
 */
public record Checkpoint(
    SolverOptions options,
    int epoch,
    int iteration,
    long rngState,
    List<Double> lossHistory,
    List<Double> trainAccHistory,
    List<Double> valAccHistory,
    double bestValAcc,
    Map<String, Tensor> parameters,
    Map<String, Tensor> buffers,
    Map<String, Tensor> bestParameters,
    Map<String, Tensor> bestBuffers,
    Map<String, Tensor> optimizerState,
    Tensor permutation) {

  /** The {@code format} field of the JSON file. */
  public static final String FORMAT = "handgrad-checkpoint";

  /** Version of the layout; {@link #read} rejects others. */
  public static final int VERSION = 1;

  private static final String BEST_PARAM = "best.param.";
  private static final String BEST_BUFFER = "best.buffer.";
  private static final String OPTIM = "optim.";
  private static final String PERMUTATION = "permutation";

  /** Checks the pieces fit together; copies the collections (not the tensors). */
  public Checkpoint {
    Objects.requireNonNull(options, "checkpoint: options");
    if (epoch < 0 || iteration < 0) {
      throw new IllegalArgumentException(
          "checkpoint: epoch and iteration must be >= 0, got " + epoch + ", " + iteration);
    }
    if (trainAccHistory.size() != valAccHistory.size()) {
      throw new IllegalArgumentException(
          "checkpoint: "
              + trainAccHistory.size()
              + " train accuracies but "
              + valAccHistory.size()
              + " val accuracies");
    }
    if (permutation != null && (permutation.dtype() != DType.INT32 || permutation.ndim() != 1)) {
      throw new IllegalArgumentException(
          "checkpoint: permutation must be int32 (N,), got " + permutation);
    }
    for (String name : buffers.keySet()) {
      if (parameters.containsKey(name)) {
        throw new IllegalArgumentException(
            "checkpoint: '" + name + "' is both a parameter and a buffer");
      }
    }
    lossHistory = List.copyOf(lossHistory);
    trainAccHistory = List.copyOf(trainAccHistory);
    valAccHistory = List.copyOf(valAccHistory);
    parameters = frozen(parameters);
    buffers = frozen(buffers);
    bestParameters = frozen(bestParameters);
    bestBuffers = frozen(bestBuffers);
    optimizerState = frozen(optimizerState);
  }

  private static Map<String, Tensor> frozen(Map<String, Tensor> m) {
    return Collections.unmodifiableMap(new LinkedHashMap<>(m));
  }

  /** The file stem {@code <name>_epoch_<E>_step_<S>} of this checkpoint. */
  public String stem(String name) {
    return name + "_epoch_" + epoch + "_step_" + iteration;
  }

  // ---------------------------------------------------------------- writing

  /** Called after each file is in place; tests use it to simulate a crash between files. */
  @FunctionalInterface
  interface FileHook {
    void written(Path file) throws IOException;
  }

  /**
   * Writes the checkpoint's three files into {@code dir} (created if needed), JSON last.
   *
   * @param name file name prefix
   * @return the JSON file, the checkpoint's entry point
   */
  public Path write(Path dir, String name) throws IOException {
    return write(dir, name, file -> {});
  }

  Path write(Path dir, String name, FileHook hook) throws IOException {
    String stem = stem(name);
    Map<String, Tensor> model = new LinkedHashMap<>(parameters);
    model.putAll(buffers);
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("format", FORMAT);
    meta.put("model_name", options.modelName());
    byte[] modelBytes = Safetensors.toBytes(model, meta);

    Map<String, Tensor> state = new LinkedHashMap<>();
    bestParameters.forEach((k, v) -> state.put(BEST_PARAM + k, v));
    bestBuffers.forEach((k, v) -> state.put(BEST_BUFFER + k, v));
    optimizerState.forEach((k, v) -> state.put(OPTIM + k, v));
    if (permutation != null) {
      state.put(PERMUTATION, permutation);
    }
    byte[] stateBytes = Safetensors.toBytes(state, Map.of("format", FORMAT));

    Path modelFile = dir.resolve(stem + ".safetensors");
    Path stateFile = dir.resolve(stem + ".state.safetensors");
    Path jsonFile = dir.resolve(stem + ".json");
    AtomicFiles.write(modelFile, modelBytes);
    hook.written(modelFile);
    AtomicFiles.write(stateFile, stateBytes);
    hook.written(stateFile);

    Map<String, Object> json = new LinkedHashMap<>();
    json.put("format", FORMAT);
    json.put("version", VERSION);
    json.put("epoch", epoch);
    json.put("iteration", iteration);
    json.put("best_val_acc", Double.isNaN(bestValAcc) ? null : bestValAcc);
    Map<String, Object> rng = new LinkedHashMap<>();
    rng.put("algorithm", "splitmix64");
    rng.put("state", "0x" + Long.toHexString(rngState)); // hex: JSON readers in doubles lose bits
    json.put("rng", rng);
    json.put("parameters", new ArrayList<>(parameters.keySet()));
    json.put("buffers", new ArrayList<>(buffers.keySet()));
    json.put("solver", options.toMap());
    Map<String, Object> files = new LinkedHashMap<>();
    files.put("model", fileEntry(modelFile, modelBytes));
    files.put("state", fileEntry(stateFile, stateBytes));
    json.put("files", files);
    // Histories last: they are the long part, and Double.toString round-trips every double.
    json.put("loss_history", lossHistory);
    json.put("train_acc_history", trainAccHistory);
    json.put("val_acc_history", valAccHistory);
    AtomicFiles.write(jsonFile, Json.writePretty(json).getBytes(StandardCharsets.UTF_8));
    hook.written(jsonFile);
    return jsonFile;
  }

  private static Map<String, Object> fileEntry(Path file, byte[] bytes) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("file", file.getFileName().toString());
    m.put("bytes", (long) bytes.length);
    m.put("sha256", sha256(bytes));
    return m;
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("every JDK has SHA-256", e);
    }
  }

  // ---------------------------------------------------------------- reading

  /**
   * The newest checkpoint named {@code name} in {@code dir} (highest step; only complete
   * checkpoints count, since the JSON appears last), or empty when there is none.
   */
  public static Optional<Path> latest(Path dir, String name) throws IOException {
    if (!Files.isDirectory(dir)) {
      return Optional.empty();
    }
    Pattern p = Pattern.compile(Pattern.quote(name) + "_epoch_(\\d+)_step_(\\d+)\\.json");
    Path best = null;
    long bestStep = -1;
    // A plain listing filtered by the quoted pattern: a glob would misread names with [ or *.
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path f : files) {
        Matcher m = p.matcher(f.getFileName().toString());
        if (m.matches() && Long.parseLong(m.group(2)) > bestStep) {
          bestStep = Long.parseLong(m.group(2));
          best = f;
        }
      }
    }
    return Optional.ofNullable(best);
  }

  /**
   * Reads a checkpoint from its JSON file, verifying both tensor files against the recorded sizes
   * and hashes.
   *
   * @throws IOException when a file is missing, unreadable, or disagrees with the JSON (naming it)
   */
  public static Checkpoint read(Path jsonFile) throws IOException {
    String source = jsonFile.toString();
    Map<?, ?> json;
    try {
      Object parsed = Json.parse(Files.readString(jsonFile, StandardCharsets.UTF_8));
      if (!(parsed instanceof Map<?, ?> m)) {
        throw new IOException(source + ": not a JSON object");
      }
      json = m;
    } catch (IllegalArgumentException e) {
      throw new IOException(source + ": " + e.getMessage(), e);
    }
    if (!FORMAT.equals(json.get("format")) || !Long.valueOf(VERSION).equals(json.get("version"))) {
      throw new IOException(
          source
              + ": not a "
              + FORMAT
              + " version "
              + VERSION
              + " file (format "
              + json.get("format")
              + ", version "
              + json.get("version")
              + ")");
    }
    try {
      Map<?, ?> files = (Map<?, ?>) json.get("files");
      Safetensors.Contents model = readVerified(jsonFile, (Map<?, ?>) files.get("model"));
      Safetensors.Contents state = readVerified(jsonFile, (Map<?, ?>) files.get("state"));
      Map<String, Tensor> params = pick(model.tensors(), (List<?>) json.get("parameters"), source);
      Map<String, Tensor> bufs = pick(model.tensors(), (List<?>) json.get("buffers"), source);
      if (params.size() + bufs.size() != model.tensors().size()) {
        throw new IOException(source + ": model file holds tensors the JSON does not list");
      }
      Map<String, Tensor> bestParams = new LinkedHashMap<>();
      Map<String, Tensor> bestBufs = new LinkedHashMap<>();
      Map<String, Tensor> optim = new LinkedHashMap<>();
      Tensor permutation = null;
      for (Map.Entry<String, Tensor> e : state.tensors().entrySet()) {
        String k = e.getKey();
        if (k.startsWith(BEST_PARAM)) {
          bestParams.put(k.substring(BEST_PARAM.length()), e.getValue());
        } else if (k.startsWith(BEST_BUFFER)) {
          bestBufs.put(k.substring(BEST_BUFFER.length()), e.getValue());
        } else if (k.startsWith(OPTIM)) {
          optim.put(k.substring(OPTIM.length()), e.getValue());
        } else if (k.equals(PERMUTATION)) {
          permutation = e.getValue();
        } else {
          throw new IOException(source + ": unexpected state tensor '" + k + "'");
        }
      }
      Map<?, ?> rng = (Map<?, ?>) json.get("rng");
      String hex = (String) rng.get("state");
      if (!"splitmix64".equals(rng.get("algorithm")) || !hex.startsWith("0x")) {
        throw new IOException(source + ": unsupported rng " + rng);
      }
      Object best = json.get("best_val_acc");
      return new Checkpoint(
          SolverOptions.fromMap((Map<?, ?>) json.get("solver")),
          Math.toIntExact((Long) json.get("epoch")),
          Math.toIntExact((Long) json.get("iteration")),
          Long.parseUnsignedLong(hex.substring(2), 16),
          doubles(json.get("loss_history")),
          doubles(json.get("train_acc_history")),
          doubles(json.get("val_acc_history")),
          best == null ? Double.NaN : ((Number) best).doubleValue(),
          params,
          bufs,
          bestParams,
          bestBufs,
          optim,
          permutation);
    } catch (ClassCastException | NullPointerException | IllegalArgumentException e) {
      throw new IOException(source + ": malformed checkpoint: " + e, e);
    }
  }

  private static Safetensors.Contents readVerified(Path jsonFile, Map<?, ?> entry)
      throws IOException {
    Path file = jsonFile.resolveSibling((String) entry.get("file"));
    if (!Files.exists(file)) {
      throw new IOException(jsonFile + ": its tensor file " + file + " is missing");
    }
    byte[] bytes = Files.readAllBytes(file);
    String expected = (String) entry.get("sha256");
    String actual = sha256(bytes);
    if (!Long.valueOf(bytes.length).equals(entry.get("bytes")) || !actual.equals(expected)) {
      throw new IOException(
          jsonFile
              + ": "
              + file.getFileName()
              + " does not match the checkpoint (size "
              + bytes.length
              + ", sha256 "
              + actual
              + "; expected size "
              + entry.get("bytes")
              + ", sha256 "
              + expected
              + "): the file was changed or truncated after the checkpoint was written");
    }
    return Safetensors.read(bytes, file.toString());
  }

  private static Map<String, Tensor> pick(Map<String, Tensor> all, List<?> names, String source)
      throws IOException {
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (Object n : names) {
      Tensor t = all.get((String) n);
      if (t == null) {
        throw new IOException(source + ": tensor '" + n + "' missing from the model file");
      }
      out.put((String) n, t);
    }
    return out;
  }

  private static List<Double> doubles(Object list) {
    List<Double> out = new ArrayList<>();
    for (Object o : (List<?>) list) {
      out.add(((Number) o).doubleValue());
    }
    return out;
  }

  // ---------------------------------------------------------------- restoring

  /**
   * Copies the checkpoint's parameters and buffers into a model, matching by name.
   *
   * @throws IllegalArgumentException when names differ (listing them) or a shape or dtype differs
   */
  public void restoreModel(Model model) {
    restore(model, parameters, buffers, "restoreModel");
  }

  /** Copies {@code params} and {@code bufs} into the model, all names required to match. */
  static void restore(
      Model model, Map<String, Tensor> params, Map<String, Tensor> bufs, String op) {
    List<Parameter> ps = model.parameters();
    Set<String> names = new TreeSet<>();
    ps.forEach(p -> names.add(p.name()));
    checkNames(op, "parameters", names, params.keySet());
    checkNames(op, "buffers", new TreeSet<>(model.buffers().keySet()), bufs.keySet());
    for (Parameter p : ps) {
      p.assign(params.get(p.name()));
    }
    for (Map.Entry<String, Tensor> e : model.buffers().entrySet()) {
      copyInto(e.getValue(), bufs.get(e.getKey()), op + ": buffer " + e.getKey());
    }
  }

  private static void checkNames(String op, String what, Set<String> model, Set<String> saved) {
    if (!model.equals(new TreeSet<>(saved))) {
      throw new IllegalArgumentException(
          op
              + ": the model's "
              + what
              + " are "
              + model
              + ", the saved ones "
              + new TreeSet<>(saved));
    }
  }

  /** Copies {@code src} into the live tensor {@code dst} (same shape and dtype). */
  static void copyInto(Tensor dst, Tensor src, String where) {
    if (!dst.sameShape(src) || dst.dtype() != src.dtype()) {
      throw new IllegalArgumentException(
          where
              + ": expected "
              + dst.shapeString()
              + " "
              + dst.dtype().numpyName()
              + ", got "
              + src.shapeString()
              + " "
              + src.dtype().numpyName());
    }
    for (int i = 0; i < dst.size(); i++) {
      dst.setFlat(i, src.getFlat(i));
    }
  }
}
