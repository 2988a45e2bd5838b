package org.handgrad.app.generate;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.handgrad.io.AtomicFiles;
import org.handgrad.io.Json;
import org.handgrad.io.Safetensors;
import org.handgrad.tensor.Tensor;

/**
 * A {@code generate train} checkpoint: {@code RUN/checkpoints/gen_step_<S>.safetensors} holds the
 * U-Net weights ({@code model.<name>}, under the PyTorch state_dict names of the reference U-Net),
 * their moving average ({@code ema.<name>}) and Adam's state ({@code optim.<key>}); {@code
 * gen_step_<S>.json}, written last (so a crash leaves the previous checkpoint the newest complete
 * one), holds the step, the random stream's state, the loss history and the training time. With
 * these a resumed run continues bit for bit as if it had not stopped: the data order is a function
 * of the seed and the epoch, everything else random comes from the saved stream.
 *
 * @param step optimizer steps done
 * @param rngState the run's {@link org.handgrad.tensor.Rng} state after that step
 * @param lossHistory one loss per step
 * @param seconds training time so far
 * @param model U-Net weights by parameter name
 * @param ema their moving average by parameter name
 * @param optimizer {@link org.handgrad.optim.Optimizer#stateDict()}
 */
public record GenCheckpoint(
    int step,
    long[] rngState,
    List<Double> lossHistory,
    double seconds,
    Map<String, Tensor> model,
    Map<String, Tensor> ema,
    Map<String, Tensor> optimizer) {

  private static final Pattern JSON = Pattern.compile("gen_step_(\\d+)\\.json");

  /** Writes the two files into {@code dir}, the JSON last, and returns the JSON file. */
  public Path write(Path dir) throws IOException {
    Files.createDirectories(dir);
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    model.forEach((k, v) -> tensors.put("model." + k, v));
    ema.forEach((k, v) -> tensors.put("ema." + k, v));
    optimizer.forEach((k, v) -> tensors.put("optim." + k, v));
    String stem = "gen_step_" + step;
    AtomicFiles.write(
        dir.resolve(stem + ".safetensors"),
        Safetensors.toBytes(tensors, Map.of("format", "handgrad-generate-checkpoint")));
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("format", "handgrad-generate-checkpoint");
    json.put("step", step);
    List<Object> rng = new ArrayList<>();
    for (long s : rngState) {
      rng.add("0x" + Long.toHexString(s)); // hex: JSON readers in doubles lose bits
    }
    json.put("rng_state", rng);
    json.put("seconds", seconds);
    json.put("tensors", stem + ".safetensors");
    json.put("loss_history", lossHistory);
    Path file = dir.resolve(stem + ".json");
    AtomicFiles.write(file, Json.writePretty(json).getBytes(StandardCharsets.UTF_8));
    return file;
  }

  /**
   * Reads a checkpoint.
   *
   * @param json a {@code gen_step_<S>.json}
   * @throws IOException naming the file when it is unreadable or not such a checkpoint
   */
  public static GenCheckpoint read(Path json) throws IOException {
    Map<?, ?> m;
    try {
      m = (Map<?, ?>) Json.parse(Files.readString(json));
    } catch (IllegalArgumentException | ClassCastException e) {
      throw new IOException(json + ": not a generate checkpoint (" + e.getMessage() + ")", e);
    }
    if (!"handgrad-generate-checkpoint".equals(m.get("format"))) {
      throw new IOException(json + ": not a generate checkpoint (format " + m.get("format") + ")");
    }
    List<?> rng = (List<?>) m.get("rng_state");
    long[] state = new long[rng.size()];
    for (int i = 0; i < state.length; i++) {
      state[i] = Long.parseUnsignedLong(((String) rng.get(i)).substring(2), 16);
    }
    List<Double> losses = new ArrayList<>();
    for (Object o : (List<?>) m.get("loss_history")) {
      losses.add(((Number) o).doubleValue());
    }
    Path tensorsFile = json.resolveSibling((String) m.get("tensors"));
    Map<String, Tensor> model = new LinkedHashMap<>();
    Map<String, Tensor> ema = new LinkedHashMap<>();
    Map<String, Tensor> optim = new LinkedHashMap<>();
    for (Map.Entry<String, Tensor> e : Safetensors.read(tensorsFile).tensors().entrySet()) {
      String k = e.getKey();
      if (k.startsWith("model.")) {
        model.put(k.substring(6), e.getValue());
      } else if (k.startsWith("ema.")) {
        ema.put(k.substring(4), e.getValue());
      } else if (k.startsWith("optim.")) {
        optim.put(k.substring(6), e.getValue());
      } else {
        throw new IOException(tensorsFile + ": unexpected tensor '" + k + "'");
      }
    }
    return new GenCheckpoint(
        ((Number) m.get("step")).intValue(),
        state,
        losses,
        ((Number) m.get("seconds")).doubleValue(),
        model,
        ema,
        optim);
  }

  /**
   * The newest checkpoint of a run: {@code path} itself when it is a checkpoint JSON, else the
   * highest step in {@code path/checkpoints}.
   *
   * @throws IOException naming the path when there is none
   */
  public static Path latest(Path path) throws IOException {
    return CheckpointFiles.latest(
        path,
        JSON,
        " holds no generate checkpoint (expected a run folder of './handgrad generate"
            + " train' with checkpoints/gen_step_<S>.json)");
  }

  /** The run folder of a checkpoint path ({@code RUN/checkpoints/x.json} -> RUN), or the path. */
  public static Path runOf(Path path) {
    if (Files.isRegularFile(path)) {
      Path dir = path.toAbsolutePath().getParent();
      return dir.getParent();
    }
    return path;
  }

  /** Deletes all but the newest {@code keep} checkpoints in {@code dir}. */
  public static void prune(Path dir, int keep) throws IOException {
    CheckpointFiles.prune(dir, JSON, keep);
  }
}
