package org.handgrad.app.ssl;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.handgrad.io.AtomicFiles;
import org.handgrad.io.Json;
import org.handgrad.io.Safetensors;
import org.handgrad.models.ssl.simclr.SimClr;
import org.handgrad.nn.Parameter;
import org.handgrad.optim.Optimizer;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * A SimCLR run's checkpoint, three files in {@code RUN/checkpoint/}: {@code model.safetensors}
 * (parameters and BatchNorm buffers under their module paths, readable by PyTorch tools), {@code
 * optim.safetensors} ({@link Optimizer#stateDict()}) and {@code checkpoint.json} (model config,
 * epoch and step), written in that order, each atomically, so an interrupted save leaves the
 * previous JSON pointing at complete files. The augmentation and shuffling streams are derived from
 * (seed, epoch, step), so epoch and step are the whole random state.
 */
public final class SimClrCheckpoint {
  private SimClrCheckpoint() {}

  /**
   * What a checkpoint restores.
   *
   * @param model the model with its saved weights and buffers
   * @param optimizerState the optimizer's state dict
   * @param epoch epochs completed
   * @param step steps completed in the current epoch
   */
  public record Loaded(SimClr model, Map<String, Tensor> optimizerState, int epoch, int step) {}

  /** The checkpoint folder of a run. */
  public static Path dir(Path run) {
    return run.resolve("checkpoint");
  }

  /** Writes the checkpoint of a run (see the class comment). */
  public static void save(Path run, SimClr model, Optimizer opt, int epoch, int step)
      throws IOException {
    Path dir = dir(run);
    Files.createDirectories(dir);
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    for (Parameter p : model.parameters()) {
      tensors.put(p.name(), p.value());
    }
    model.buffers().forEach((k, v) -> tensors.put(k, v));
    Safetensors.write(dir.resolve("model.safetensors"), tensors);
    Safetensors.write(dir.resolve("optim.safetensors"), opt.stateDict());
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("model", "simclr");
    json.put("config", config(model.config()));
    json.put("epoch", epoch);
    json.put("step", step);
    AtomicFiles.write(
        dir.resolve("checkpoint.json"),
        (Json.writePretty(json) + "\n").getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Reads the checkpoint of a run.
   *
   * @throws IOException when a file is missing or does not match the saved config
   */
  public static Loaded load(Path run) throws IOException {
    Path dir = dir(run);
    Path jsonFile = dir.resolve("checkpoint.json");
    if (!Files.isRegularFile(jsonFile)) {
      throw new IOException("no SimCLR checkpoint in " + run + " (expected " + jsonFile + ")");
    }
    Map<?, ?> json = (Map<?, ?>) Json.parse(Files.readString(jsonFile));
    if (!"simclr".equals(json.get("model"))) {
      throw new IOException(
          jsonFile + ": not a SimCLR checkpoint (model " + json.get("model") + ")");
    }
    SimClr model = new SimClr(config((Map<?, ?>) json.get("config")));
    Map<String, Tensor> saved = Safetensors.read(dir.resolve("model.safetensors")).tensors();
    for (Parameter p : model.parameters()) {
      copy(saved, p.name(), p.value(), jsonFile);
    }
    for (Map.Entry<String, Tensor> b : model.buffers().entrySet()) {
      copy(saved, b.getKey(), b.getValue(), jsonFile);
    }
    Map<String, Tensor> optim = Safetensors.read(dir.resolve("optim.safetensors")).tensors();
    return new Loaded(
        model,
        optim,
        ((Number) json.get("epoch")).intValue(),
        ((Number) json.get("step")).intValue());
  }

  private static void copy(Map<String, Tensor> saved, String name, Tensor into, Path file)
      throws IOException {
    Tensor t = saved.get(name);
    if (t == null || !t.sameShape(into)) {
      throw new IOException(
          file + ": tensor '" + name + "' is missing or has the wrong shape for the saved config");
    }
    into.copyFrom(t.to(into.dtype()));
  }

  /** The model config as JSON values. */
  public static Map<String, Object> config(SimClr.Config c) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("input_dim", ints(c.inputDim()));
    m.put("widths", ints(c.widths()));
    m.put("blocks", ints(c.blocks()));
    m.put("hidden_dim", c.hiddenDim());
    m.put("projection_dim", c.projectionDim());
    m.put("dtype", c.dtype().numpyName());
    m.put("seed", c.seed());
    return m;
  }

  /** The model config from its JSON values. */
  public static SimClr.Config config(Map<?, ?> m) {
    return new SimClr.Config(
        ints((List<?>) m.get("input_dim")),
        ints((List<?>) m.get("widths")),
        ints((List<?>) m.get("blocks")),
        ((Number) m.get("hidden_dim")).intValue(),
        ((Number) m.get("projection_dim")).intValue(),
        "float64".equals(m.get("dtype")) ? DType.FLOAT64 : DType.FLOAT32,
        ((Number) m.get("seed")).longValue());
  }

  private static List<Integer> ints(int[] a) {
    List<Integer> out = new ArrayList<>();
    for (int v : a) {
      out.add(v);
    }
    return out;
  }

  private static int[] ints(List<?> l) {
    int[] out = new int[l.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = ((Number) l.get(i)).intValue();
    }
    return out;
  }
}
