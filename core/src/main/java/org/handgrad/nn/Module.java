package org.handgrad.nn;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.handgrad.tensor.Tensor;

/**
 * A stateful layer: the thin wrapper over a functional pair that holds the layer's {@link
 * Parameter}s, its buffers (running statistics, generator state) and the cache of its last forward
 * pass, so that a network can be written as {@code out = net.forward(x); dx = net.backward(dout)}.
 *
 * <p>The maths stays in {@code nn.functional}: {@code forward(x)} calls the layer's {@code
 * xxxForward} and keeps the returned cache; {@code backward(dout)} calls {@code xxxBackward} with
 * that cache, ADDS the parameter gradients into {@link Parameter#grad()} ({@code +=}, as PyTorch's
 * {@code .grad}) and returns dx. Zeroing is explicit ({@link #zeroGrad}), once per step. The cache
 * is kept until the next forward, so backward may be called more than once per forward (each call
 * adds its gradients again); a module therefore appears at most once in a tree.
 *
 * <p>Modules form a tree (a {@link Sequential} holds its layers as children). {@link #parameters()}
 * and {@link #buffers()} walk it depth first, a module's own entries before its children's, and
 * name every entry by its path: a layer's {@code weight} registered as child {@code "0"} is {@code
 * "0.weight"}, as in PyTorch's {@code named_parameters()} and {@code state_dict()}. {@link
 * #train()} and {@link #eval()} set the mode of the whole subtree; modules are created in training
 * mode.
 */
public abstract class Module {
  private final Map<String, Parameter> params = new LinkedHashMap<>();
  private final Map<String, Tensor> buffers = new LinkedHashMap<>();
  private final Map<String, Module> children = new LinkedHashMap<>();
  private Module parent;
  private boolean training = true;

  /**
   * Forward pass; keeps what {@link #backward} needs.
   *
   * @param x input, shape as the module documents
   * @return the output, a new tensor (or a view for reshaping modules), the dtype of x
   */
  public abstract Tensor forward(Tensor x);

  /**
   * Backward pass of the last {@link #forward}: adds dL/dparam into every parameter's gradient and
   * returns dL/dx.
   *
   * @param dout upstream gradient, the shape of the last forward's output
   * @return dx, the shape of the last forward's input
   * @throws IllegalStateException when no forward pass has been run
   */
  public abstract Tensor backward(Tensor dout);

  // ---------------------------------------------------------------- registration (subclasses)

  /**
   * Registers a trainable tensor under a local name ("weight", "bias").
   *
   * @param value float32 or float64 contiguous tensor, not copied
   * @return the new parameter, whose gradient starts at zero
   */
  protected final Parameter registerParameter(String name, Tensor value) {
    checkName(name);
    Parameter p = new Parameter(name, value);
    params.put(name, p);
    return p;
  }

  /**
   * Registers non-trainable state that a checkpoint must keep (e.g. "running_mean"); the tensor is
   * live: the module updates it in place and restoring copies values into it.
   */
  protected final Tensor registerBuffer(String name, Tensor buffer) {
    checkName(name);
    buffers.put(name, Objects.requireNonNull(buffer, "buffer"));
    return buffer;
  }

  /**
   * Registers a child module under a local name; it takes this module's current mode.
   *
   * @throws IllegalArgumentException when the child already belongs to a tree (a module keeps one
   *     forward cache, so it cannot run twice in one pass) or is an ancestor of this module
   */
  protected final <M extends Module> M registerModule(String name, M child) {
    checkName(name);
    Module c = Objects.requireNonNull(child, "child module"); // private fields need the class type
    if (c.parent != null) {
      throw new IllegalArgumentException(
          kind()
              + ": "
              + child.kind()
              + " is already registered in a "
              + c.parent.kind()
              + "; a module keeps the cache of ONE forward pass, so it can appear only once"
              + " (create another instance)");
    }
    for (Module m = this; m != null; m = m.parent) {
      if (m == child) {
        throw new IllegalArgumentException(
            kind() + ": cannot register " + child.kind() + " inside itself");
      }
    }
    c.parent = this;
    c.train(training);
    children.put(name, c);
    return child;
  }

  private void checkName(String name) {
    if (name == null || name.isEmpty() || name.contains(".")) {
      throw new IllegalArgumentException(
          kind() + ": names must be non-empty and contain no '.', got '" + name + "'");
    }
    if (params.containsKey(name) || buffers.containsKey(name) || children.containsKey(name)) {
      throw new IllegalArgumentException(kind() + ": name '" + name + "' is already registered");
    }
  }

  // ---------------------------------------------------------------- the tree

  /**
   * Every parameter of the subtree, depth first, named by path ("weight", "0.weight",
   * "block.1.bias"). The handles share value and gradient with the module's own ({@link
   * Parameter#withName}), so an optimizer can step them; names are unique.
   */
  public final List<Parameter> parameters() {
    List<Parameter> out = new ArrayList<>();
    collectParameters("", out);
    return out;
  }

  private void collectParameters(String prefix, List<Parameter> out) {
    for (Map.Entry<String, Parameter> e : params.entrySet()) {
      Parameter p = e.getValue();
      out.add(prefix.isEmpty() ? p : p.withName(prefix + e.getKey()));
    }
    children.forEach((name, child) -> child.collectParameters(prefix + name + ".", out));
  }

  /**
   * Every buffer of the subtree by path, depth first ("0.running_mean", "3.rng_state"). The tensors
   * are the live ones (see {@link Model#buffers()}).
   */
  public final Map<String, Tensor> buffers() {
    Map<String, Tensor> out = new LinkedHashMap<>();
    collectBuffers("", out);
    return out;
  }

  private void collectBuffers(String prefix, Map<String, Tensor> out) {
    buffers.forEach((name, t) -> out.put(prefix + name, t));
    children.forEach((name, child) -> child.collectBuffers(prefix + name + ".", out));
  }

  /** The direct children by local name, in registration order (unmodifiable). */
  public final Map<String, Module> children() {
    return Collections.unmodifiableMap(children);
  }

  /**
   * The module's dotted name in its tree, as its parameters are named ("3" for the fourth layer of
   * a Sequential, "block.fc1"); empty for a module that belongs to no tree. Error messages use it
   * to say which layer failed.
   */
  public final String path() {
    List<String> names = new ArrayList<>();
    for (Module m = this; m.parent != null; m = m.parent) {
      for (Map.Entry<String, Module> e : m.parent.children.entrySet()) {
        if (e.getValue() == m) {
          names.add(e.getKey());
          break;
        }
      }
    }
    Collections.reverse(names);
    return String.join(".", names);
  }

  /** Number of trainable scalars in the subtree (PyTorch's {@code sum(p.numel() ...)}). */
  public final long parameterCount() {
    long n = 0;
    for (Parameter p : parameters()) {
      n += p.size();
    }
    return n;
  }

  /** Sets every parameter gradient of the subtree to zero. */
  public final void zeroGrad() {
    params.values().forEach(Parameter::zeroGrad);
    children.values().forEach(Module::zeroGrad);
  }

  // ---------------------------------------------------------------- modes

  /**
   * Sets training ({@code true}) or evaluation mode on the whole subtree. It changes what the next
   * forward does (BatchNorm: batch vs running statistics; Dropout: masks vs identity), not the
   * cache of the last one.
   *
   * @return this module
   */
  public final Module train(boolean mode) {
    training = mode;
    children.values().forEach(c -> c.train(mode));
    return this;
  }

  /** Training mode for the subtree; returns this module. */
  public final Module train() {
    return train(true);
  }

  /** Evaluation mode for the subtree; returns this module. */
  public final Module eval() {
    return train(false);
  }

  /** True in training mode. */
  public final boolean isTraining() {
    return training;
  }

  // ---------------------------------------------------------------- helpers

  /** The module's name in messages: its class name, e.g. "Linear". */
  protected String kind() {
    return getClass().getSimpleName();
  }

  /**
   * The error of a backward pass with no cached forward.
   *
   * @return an exception naming the module, for the caller to throw
   */
  protected final IllegalStateException noForward() {
    return new IllegalStateException(
        kind()
            + ".backward: no cached forward pass; call forward(x) before backward(dout), outside"
            + " NoGrad");
  }

  /** The settings shown in {@link #toString()} between the parentheses, e.g. "4, 8, bias=true". */
  protected String extraRepr() {
    return "";
  }

  /** A PyTorch-like outline of the tree, one child per line, e.g. "(0): Linear(6, 8, ...)". */
  @Override
  public String toString() {
    if (children.isEmpty()) {
      return kind() + "(" + extraRepr() + ")";
    }
    StringBuilder s = new StringBuilder(kind()).append("(");
    if (!extraRepr().isEmpty()) {
      s.append(extraRepr());
    }
    s.append("\n");
    children.forEach(
        (name, child) ->
            s.append("  (")
                .append(name)
                .append("): ")
                .append(child.toString().replace("\n", "\n  "))
                .append("\n"));
    return s.append(")").toString();
  }
}
