package org.handgrad.models.transfer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.handgrad.nn.Model;
import org.handgrad.nn.Module;
import org.handgrad.nn.Parameter;
import org.handgrad.nn.modules.Linear;
import org.handgrad.tensor.Tensor;

/**
 * The mapping between a handgrad model's parameters and buffers and a PyTorch module's {@code
 * state_dict}: names and layouts, both directions. docs/transfer.md has the table per model family.
 *
 * <p>The rules:
 *
 * <ul>
 *   <li><b>Names</b> are the same: handgrad modules name their entries by path as {@code
 *       named_parameters()} and {@code state_dict()} do, and the ResNets use torchvision's module
 *       names. CS231n's dict-style models ({@code W1}, {@code b1}, {@code gamma1}, ...) have no
 *       PyTorch counterpart and keep their own names.
 *   <li><b>Linear weights</b> ({@link Linear}, CS231n's affine layout) are (in, out); {@code
 *       nn.Linear.weight} is (out, in): transposed both ways. Only the weights of {@link Linear}
 *       modules found in the model's module tree are transposed (a ResNet's {@code fc.weight}, a
 *       ViT's {@code head.weight}), never a weight by its shape alone.
 *   <li><b>Convolution</b> weights are (F, C, HH, WW) in both; BatchNorm's {@code weight}, {@code
 *       bias}, {@code running_mean}, {@code running_var} are (C,) in both.
 *   <li><b>{@code num_batches_tracked}</b> is a 0-d int64 in PyTorch and a one-element int32 here:
 *       {@link org.handgrad.io.Safetensors} narrows I64 on read (with a range check) and writes
 *       I32, which {@code load_state_dict} copies into its int64 buffer. handgrad does not use it
 *       (its momentum is fixed), it only carries it.
 *   <li><b>Dtypes</b>: values are converted to the model's dtype on import (float32 into a float64
 *       model is exact) and written in the model's dtype on export.
 * </ul>
 *
 * <p>Importing checks the whole file against the model before touching a value: every model entry
 * must be in the file with its shape (in PyTorch's layout), and the file must hold nothing else.
 * The error lists the first mismatches of each kind with both sides.
 */
public final class TorchStateDict {
  private TorchStateDict() {}

  private static final String NUM_BATCHES_TRACKED = "num_batches_tracked";

  /** How many mismatches of each kind an error message lists. */
  static final int MAX_LISTED = 8;

  /**
   * The model's parameters and buffers under PyTorch's names and layouts, as {@code
   * model.state_dict()}: copies, parameters first in model order, then buffers.
   *
   * @param model any trainable model
   * @return name to tensor, float32/float64 values, int32 {@code num_batches_tracked}
   */
  public static Map<String, Tensor> export(Model model) {
    Objects.requireNonNull(model, "model");
    Set<String> transposed = linearWeights(model);
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (Parameter p : model.parameters()) {
      Tensor v = p.value();
      out.put(p.name(), transposed.contains(p.name()) ? v.transpose().copy() : v.copy());
    }
    for (Map.Entry<String, Tensor> e : model.buffers().entrySet()) {
      out.put(e.getKey(), e.getValue().copy());
    }
    return out;
  }

  /**
   * The shape each entry of {@link #export} has: PyTorch's layout of every parameter and buffer.
   *
   * @return name to shape, in {@link #export} order
   */
  public static Map<String, int[]> expectedShapes(Model model) {
    Set<String> transposed = linearWeights(model);
    Map<String, int[]> out = new LinkedHashMap<>();
    for (Parameter p : model.parameters()) {
      int[] s = p.shape();
      out.put(p.name(), transposed.contains(p.name()) ? new int[] {s[1], s[0]} : s);
    }
    model.buffers().forEach((k, v) -> out.put(k, v.shape()));
    return out;
  }

  /**
   * Copies a PyTorch {@code state_dict} into the model (the inverse of {@link #export}).
   *
   * @param model the model to fill, built with the matching configuration
   * @param state name to tensor, PyTorch's names and layouts; float tensors of any float dtype
   * @param source the file or origin, for messages
   * @throws IllegalArgumentException when names or shapes do not match, listing the first
   *     mismatches with both sides; nothing is copied then
   */
  public static void load(Model model, Map<String, Tensor> state, String source) {
    load(model, state, source, null);
  }

  /**
   * As {@link #load(Model, Map, String)}, leaving one sub-module out on both sides: its entries are
   * neither required in the file nor copied, so the model keeps its own (a new head for K classes
   * on a pretrained body).
   *
   * @param skip a sub-module name such as "fc", or null for none
   */
  public static void load(Model model, Map<String, Tensor> state, String source, String skip) {
    Objects.requireNonNull(state, "state");
    if (skip != null) {
      Map<String, Tensor> kept = new LinkedHashMap<>();
      state.forEach(
          (k, v) -> {
            if (!under(k, skip)) {
              kept.put(k, v);
            }
          });
      state = kept;
    }
    String skipped = skip;
    List<String> problems = mismatches(model, state, skipped);
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(
          source + " does not match the model:\n  " + String.join("\n  ", problems));
    }
    Set<String> transposed = linearWeights(model);
    for (Parameter p : model.parameters()) {
      if (skip != null && under(p.name(), skip)) {
        continue;
      }
      Tensor t = state.get(p.name());
      if (!t.dtype().isFloating()) {
        throw new IllegalArgumentException(
            source
                + ": "
                + p.name()
                + " is "
                + t.dtype().numpyName()
                + ", expected a float tensor");
      }
      Tensor v = transposed.contains(p.name()) ? t.transpose() : t;
      p.assign(v.to(p.dtype()).contiguous());
    }
    for (Map.Entry<String, Tensor> e : model.buffers().entrySet()) {
      if (skip != null && under(e.getKey(), skip)) {
        continue;
      }
      Tensor dst = e.getValue();
      Tensor src = state.get(e.getKey());
      if (dst.dtype().isFloating() != src.dtype().isFloating()) {
        throw new IllegalArgumentException(
            source
                + ": buffer "
                + e.getKey()
                + " is "
                + src.dtype().numpyName()
                + ", expected "
                + dst.dtype().numpyName());
      }
      dst.copyFrom(src.to(dst.dtype()).reshape(dst.shape()));
      if (e.getKey().endsWith(NUM_BATCHES_TRACKED) && dst.item() < 1) {
        // handgrad's BatchNorm reads a zero counter as "no statistics yet" and refuses evaluation
        // mode; PyTorch files often carry 0 next to real statistics (torchvision's ImageNet
        // weights predate the counter, and load_state_dict fills it with 0).
        dst.setFlat(0, 1);
      }
    }
  }

  /**
   * What differs between the model and a state dict, at most {@link #MAX_LISTED} lines per kind:
   * entries the file lacks, entries the model lacks, and shapes that differ (PyTorch layout).
   *
   * @return human-readable lines, empty when they match
   */
  public static List<String> mismatches(Model model, Map<String, Tensor> state) {
    return mismatches(model, state, null);
  }

  private static List<String> mismatches(Model model, Map<String, Tensor> state, String skip) {
    Map<String, int[]> want = new LinkedHashMap<>(expectedShapes(model));
    if (skip != null) {
      want.keySet().removeIf(k -> under(k, skip));
    }
    List<String> missing = new ArrayList<>();
    List<String> shapes = new ArrayList<>();
    for (Map.Entry<String, int[]> e : want.entrySet()) {
      Tensor t = state.get(e.getKey());
      if (t == null) {
        missing.add(e.getKey() + " " + shapeString(e.getValue()));
      } else if (!sameShape(e.getValue(), t.shape())) {
        shapes.add(
            e.getKey()
                + ": model "
                + shapeString(e.getValue())
                + ", file "
                + shapeString(t.shape()));
      }
    }
    List<String> unexpected = new ArrayList<>();
    for (Map.Entry<String, Tensor> e : state.entrySet()) {
      if (!want.containsKey(e.getKey())) {
        unexpected.add(e.getKey() + " " + shapeString(e.getValue().shape()));
      }
    }
    List<String> out = new ArrayList<>();
    list(out, "in the model, missing from the file", missing);
    list(out, "in the file, not in the model", unexpected);
    list(out, "shape differs (PyTorch layout)", shapes);
    return out;
  }

  private static void list(List<String> out, String what, List<String> items) {
    if (items.isEmpty()) {
      return;
    }
    out.add(items.size() + " " + what + ":");
    for (int i = 0; i < Math.min(MAX_LISTED, items.size()); i++) {
      out.add("  " + items.get(i));
    }
    if (items.size() > MAX_LISTED) {
      out.add("  ... and " + (items.size() - MAX_LISTED) + " more");
    }
  }

  private static boolean under(String name, String module) {
    return name.equals(module) || name.startsWith(module + ".");
  }

  /** PyTorch's shapes: a one-element int32 buffer stands for a 0-d tensor. */
  private static boolean sameShape(int[] model, int[] file) {
    if (Arrays.equals(model, file)) {
      return true;
    }
    int nm = Arrays.stream(model).reduce(1, (a, b) -> a * b);
    int nf = Arrays.stream(file).reduce(1, (a, b) -> a * b);
    return nm == 1 && nf == 1 && model.length <= 1 && file.length <= 1;
  }

  private static String shapeString(int[] s) {
    if (s.length == 1) {
      return "(" + s[0] + ",)";
    }
    StringBuilder b = new StringBuilder("(");
    for (int i = 0; i < s.length; i++) {
      b.append(i == 0 ? "" : ", ").append(s[i]);
    }
    return b.append(")").toString();
  }

  /** Names of the weights of every {@link Linear} in the model's module tree. */
  static Set<String> linearWeights(Model model) {
    Set<String> out = new LinkedHashSet<>();
    if (model instanceof Module m) {
      collect(m, "", out);
    }
    return out;
  }

  private static void collect(Module m, String prefix, Set<String> out) {
    if (m instanceof Linear) {
      out.add(prefix + "weight");
    }
    m.children().forEach((name, child) -> collect(child, prefix + name + ".", out));
  }
}
