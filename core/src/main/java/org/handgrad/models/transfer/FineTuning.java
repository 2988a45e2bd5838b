package org.handgrad.models.transfer;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.handgrad.nn.Model;
import org.handgrad.nn.Parameter;

/**
 * Transfer learning on a built model (CS231n notes, "Transfer Learning"): freezing parameters or
 * whole sub-modules by name, and a smaller learning rate for the body than for a new head.
 *
 * <p>A name is a parameter name ({@code layer1.0.conv1.weight}) or a sub-module path ({@code
 * conv1}, {@code layer1}, {@code layer2.0.downsample}): it selects every parameter whose name
 * equals it or starts with it followed by a dot, as PyTorch's {@code named_parameters()} prefixes.
 * Frozen parameters ({@link Parameter#setRequiresGrad}) accumulate no gradient and the optimizer
 * skips them; BatchNorm running statistics of a frozen module still update in training mode, as in
 * PyTorch with {@code requires_grad=False}.
 */
public final class FineTuning {
  private FineTuning() {}

  /**
   * The parameters a name selects.
   *
   * @throws IllegalArgumentException when it selects none, listing the model's sub-module paths
   */
  public static List<Parameter> select(Model model, String name) {
    Objects.requireNonNull(name, "name");
    List<Parameter> out = new ArrayList<>();
    for (Parameter p : model.parameters()) {
      if (p.name().equals(name) || p.name().startsWith(name + ".")) {
        out.add(p);
      }
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException(
          "no parameter or sub-module named '"
              + name
              + "'; top-level names: "
              + String.join(", ", topLevelNames(model))
              + " (deeper paths such as "
              + model.parameters().get(model.parameters().size() - 1).name()
              + " work too)");
    }
    return out;
  }

  /**
   * Freezes every parameter the names select (see the class comment).
   *
   * @return the frozen parameters, in model order
   * @throws IllegalArgumentException for a name that selects nothing (before freezing anything)
   */
  public static List<Parameter> freeze(Model model, List<String> names) {
    Set<Parameter> chosen = new LinkedHashSet<>();
    for (String n : names) {
      chosen.addAll(select(model, n));
    }
    List<Parameter> out = new ArrayList<>();
    for (Parameter p : model.parameters()) {
      if (chosen.stream().anyMatch(q -> q.name().equals(p.name()))) {
        p.setRequiresGrad(false);
        out.add(p);
      }
    }
    return out;
  }

  /**
   * Sets the learning-rate multiplier of every parameter outside the head: the pretrained body
   * moves {@code bodyMultiplier} times as fast as the freshly initialised head.
   *
   * @param head the head's sub-module name (e.g. "fc"), which keeps multiplier 1
   * @param bodyMultiplier finite and > 0
   * @throws IllegalArgumentException when the head selects nothing or the multiplier is invalid
   */
  public static void bodyLearningRate(Model model, String head, double bodyMultiplier) {
    List<Parameter> headParams = select(model, head);
    for (Parameter p : model.parameters()) {
      boolean inHead = headParams.stream().anyMatch(q -> q.name().equals(p.name()));
      p.setLrMultiplier(inHead ? 1.0 : bodyMultiplier);
    }
  }

  /** The first path component of every parameter name, in model order, without repeats. */
  public static List<String> topLevelNames(Model model) {
    Set<String> out = new LinkedHashSet<>();
    for (Parameter p : model.parameters()) {
      int dot = p.name().indexOf('.');
      out.add(dot < 0 ? p.name() : p.name().substring(0, dot));
    }
    return List.copyOf(out);
  }
}
