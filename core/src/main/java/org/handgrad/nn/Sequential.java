package org.handgrad.nn;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.handgrad.tensor.Tensor;

/**
 * A chain of modules: forward runs them in order, backward runs their backward passes in reverse
 * order ("go in the reverse order of the forward pass"), each layer's dx becoming the previous
 * layer's dout. PyTorch's {@code nn.Sequential}; children are named "0", "1", ... unless given a
 * name, so parameters read "0.weight", "3.bias".
 *
 * <p>An empty Sequential is the identity.
 */
public final class Sequential extends Module {
  private final List<Module> layers = new ArrayList<>();
  private boolean forwardComplete;

  /** A chain of the given modules, named "0", "1", ... in order. */
  public Sequential(Module... modules) {
    for (Module m : modules) {
      add(m);
    }
  }

  /**
   * Appends a module named by its position ("0", "1", ...).
   *
   * @return this Sequential
   */
  public Sequential add(Module module) {
    return add(String.valueOf(layers.size()), module);
  }

  /**
   * Appends a module under a name ("fc1", "bn1"), which prefixes its parameter names.
   *
   * @param name non-empty, no '.', unique in this Sequential
   * @return this Sequential
   * @throws IllegalArgumentException on a bad or repeated name, or a module already in a tree
   */
  public Sequential add(String name, Module module) {
    layers.add(registerModule(name, module));
    forwardComplete = false;
    return this;
  }

  /** The i-th module. */
  public Module get(int i) {
    return layers.get(i);
  }

  /** Number of modules. */
  public int size() {
    return layers.size();
  }

  /** The modules in order (unmodifiable). */
  public List<Module> layers() {
    return Collections.unmodifiableList(layers);
  }

  /**
   * Runs every module in order.
   *
   * @param x input of the first module
   * @return output of the last module (x itself when empty)
   */
  @Override
  public Tensor forward(Tensor x) {
    // Marked complete only at the end: after a forward that failed half-way, the later layers
    // still hold caches of an older batch, and backward must not mix the two.
    forwardComplete = false;
    Tensor out = x;
    for (Module m : layers) {
      out = m.forward(out);
    }
    forwardComplete = true;
    return out;
  }

  /**
   * Runs every module's backward in reverse order, accumulating all parameter gradients.
   *
   * @param dout gradient of the last module's output
   * @return gradient of the first module's input
   * @throws IllegalStateException when the last forward did not complete
   */
  @Override
  public Tensor backward(Tensor dout) {
    if (!forwardComplete) {
      throw noForward();
    }
    Tensor d = dout;
    for (int i = layers.size() - 1; i >= 0; i--) {
      d = layers.get(i).backward(d);
    }
    return d;
  }
}
