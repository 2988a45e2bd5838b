package org.handgrad.nn.graph;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.handgrad.nn.Module;
import org.handgrad.nn.NoGrad;
import org.handgrad.nn.Sequential;
import org.handgrad.tensor.Tensor;

/**
 * A record of the layer pairs of one forward pass, replayed in reverse by {@link #backward}: the
 * composition mechanism for graphs that are not a chain (DESIGN.md, house style 3).
 *
 * <p>Every operation appends one entry: the output {@link Var}, its input Vars, and a {@link
 * Backward} closure that holds the pair's cache and maps the output's gradient to one gradient per
 * input, calling the hand-written {@code xxxBackward} (and adding parameter gradients into their
 * {@link org.handgrad.nn.Parameter}s). {@link #backward} walks the entries from last to first; when
 * a Var feeds several operations (a residual {@code x + f(x)}, self-attention's query = key =
 * value, a U-Net skip), the gradients of its uses are added before its own entry runs, which is the
 * multivariate chain rule. Entries in reverse recording order are a valid reverse topological
 * order, because an operation can only take Vars that already exist.
 *
 * <pre>{@code
 * Tape tape = new Tape();
 * Var x = tape.input(images);                  // (N, C, H, W)
 * Var h = tape.module(conv1, x);
 * h = tape.module(relu1, h);
 * h = tape.module(conv2, h);
 * Var out = tape.module(relu2, tape.add(h, x)); // residual: x is used twice
 * tape.backward(out, dout);                      // fills conv1/conv2 grads
 * Tensor dx = tape.grad(x);                      // both paths, summed
 * }</pre>
 *
 * <p>A tape is used once: record a forward pass, call {@link #backward} once. Intermediate
 * gradients are released as soon as their entry has run; the gradients of the Vars made by {@link
 * #input} stay readable through {@link #grad}. Not thread-safe.
 */
public final class Tape {
  /**
   * The backward pass of one recorded operation.
   *
   * <p>It receives dL/d(output) and returns dL/d(input) for every input, in the order the inputs
   * were recorded (an entry may be null for an input that needs no gradient). It adds its
   * parameters' gradients itself.
   */
  @FunctionalInterface
  public interface Backward {
    /**
     * Backward of one operation.
     *
     * @param dout gradient of the output, the output's shape
     * @return one gradient per input, each of that input's shape, or null entries
     */
    Tensor[] apply(Tensor dout);
  }

  private record Entry(String op, Var out, Var[] inputs, Backward backward) {}

  private int varCount;
  private final List<Entry> entries = new ArrayList<>();
  private final Map<Module, String> modules = new IdentityHashMap<>();
  private Tensor[] grads;
  private boolean backwardDone;
  private final TapeProfile profile = TapeProfile.current();
  private final boolean recording = !NoGrad.active();

  /**
   * An empty tape; it reports its timings to this thread's open {@link TapeProfile}, if any. Made
   * inside a {@link NoGrad} scope, it keeps no entries: the forward runs, and {@link #backward} is
   * an error.
   */
  public Tape() {
    if (profile != null) {
      profile.begin();
    }
  }

  // ---------------------------------------------------------------- leaves

  /**
   * A leaf whose gradient is wanted: a model input, or anything whose dL/d(value) the caller reads
   * with {@link #grad} after {@link #backward}.
   *
   * @param value any tensor, not copied
   */
  public Var input(Tensor value) {
    return newVar(value, true, "leaf");
  }

  /**
   * A leaf that gets no gradient (images, masks, fixed tables): gradients computed for it are
   * dropped. Operations reading it still run their backward, for their parameters' sake.
   */
  public Var constant(Tensor value) {
    return newVar(value, false, "leaf");
  }

  /** A new Var; a profile charges the forward time since the last event to {@code op}. */
  private Var newVar(Tensor value, boolean requiresGrad, String op) {
    checkRecording();
    Var v = new Var(this, varCount++, value, requiresGrad);
    if (profile != null) {
      profile.forward(op);
    }
    return v;
  }

  // ---------------------------------------------------------------- recording

  /**
   * Records an operation whose forward has just run.
   *
   * @param op a name for error messages ("linear", "attention")
   * @param out the operation's output
   * @param backward maps dL/d(out) to one gradient per input (see {@link Backward})
   * @param inputs the Vars the operation read, each made by this tape
   * @return the Var of {@code out}
   * @throws IllegalArgumentException when an input belongs to another tape
   * @throws IllegalStateException after {@link #backward}
   */
  public Var record(String op, Tensor out, Backward backward, Var... inputs) {
    Objects.requireNonNull(op, "op");
    Objects.requireNonNull(backward, "backward");
    for (Var in : inputs) {
      own(op, in);
    }
    // Always recorded, even when every input is a constant: the operation may own parameters
    // whose gradients its backward adds (a patch embedding reads the constant images).
    Var v = newVar(out, true, op);
    if (recording) {
      entries.add(new Entry(op, v, inputs.clone(), backward));
    }
    return v;
  }

  /**
   * Runs a stateful module's forward on {@code x} and records its backward. A module keeps the
   * cache of one forward pass, so it may appear once per tape; a module that records its own graph
   * ({@link TapeModule}) is recorded through {@link TapeModule#forward(Tape, Var)} instead and may
   * appear any number of times. A {@link Sequential} is recorded as its layers, one entry each: the
   * same calls in the same order as its own forward and backward, and a {@link TapeProfile} sees
   * every layer rather than one "Sequential" row.
   *
   * @param module any module; its mode (train/eval) decides what the forward does
   * @param x its input
   * @return its output
   * @throws IllegalArgumentException when the module was already recorded on this tape
   */
  public Var module(Module module, Var x) {
    Objects.requireNonNull(module, "module");
    if (module instanceof TapeModule t) {
      return t.forward(this, x);
    }
    if (module instanceof Sequential chain) {
      Var h = x;
      for (Module layer : chain.layers()) {
        h = module(layer, h);
      }
      return h;
    }
    own("module", x);
    String kind = module.getClass().getSimpleName();
    if (modules.put(module, kind) != null) {
      throw new IllegalArgumentException(
          "Tape.module: this "
              + kind
              + " is already on the tape; a module keeps the cache of ONE forward pass, so use"
              + " another instance (or a TapeModule) for a second call");
    }
    Tensor out = module.forward(x.value());
    return record(kind, out, dout -> new Tensor[] {module.backward(dout)}, x);
  }

  // ---------------------------------------------------------------- graph operations

  /**
   * Elementwise sum of two values of the same shape (a residual connection): both inputs receive
   * dout unchanged.
   *
   * @throws IllegalArgumentException when the shapes or dtypes differ
   */
  public Var add(Var a, Var b) {
    if (!a.value().sameShape(b.value()) || a.value().dtype() != b.value().dtype()) {
      throw new IllegalArgumentException(
          "Tape.add: expected two values of one shape and dtype, got "
              + a.value().shapeString()
              + " "
              + a.value().dtype().numpyName()
              + " and "
              + b.value().shapeString()
              + " "
              + b.value().dtype().numpyName());
    }
    return record("add", a.value().add(b.value()), dout -> new Tensor[] {dout, dout}, a, b);
  }

  /**
   * Concatenation along an axis (a U-Net skip joins the channels of two feature maps): each input
   * receives its slice of dout.
   *
   * @param axis the joining axis (negative counts from the end)
   * @param parts at least one value; shapes agree except along {@code axis}
   */
  public Var concat(int axis, Var... parts) {
    if (parts.length == 0) {
      throw new IllegalArgumentException("Tape.concat: needs at least one part");
    }
    Tensor[] values = new Tensor[parts.length];
    int[] sizes = new int[parts.length];
    for (int i = 0; i < parts.length; i++) {
      values[i] = parts[i].value();
    }
    Tensor out = Tensor.concatenate(axis, values);
    int ax = axis < 0 ? axis + out.ndim() : axis;
    for (int i = 0; i < parts.length; i++) {
      sizes[i] = values[i].shape(ax);
    }
    return record(
        "concat",
        out,
        dout -> {
          List<Tensor> slices = dout.splitSizes(ax, sizes);
          Tensor[] d = new Tensor[slices.size()];
          for (int i = 0; i < d.length; i++) {
            d[i] = slices.get(i).contiguous();
          }
          return d;
        },
        parts);
  }

  /**
   * A reshape of a value (its data in row-major order is unchanged); the gradient is reshaped back.
   *
   * @param shape the new shape, one entry may be -1
   */
  public Var reshape(Var x, int... shape) {
    int[] inShape = x.shape();
    Tensor out = x.value().contiguous().reshape(shape);
    return record("reshape", out, dout -> new Tensor[] {dout.contiguous().reshape(inShape)}, x);
  }

  /**
   * The part [start, stop) of a value along an axis (a contiguous copy); the gradient is dout
   * placed in that part and zero elsewhere.
   *
   * @param axis the axis (negative counts from the end)
   * @param start first index, in [0, size]
   * @param stop end index, in [start, size]
   */
  public Var slice(Var x, int axis, int start, int stop) {
    Tensor out = x.value().slice(axis, start, stop).contiguous();
    return record(
        "slice",
        out,
        dout -> {
          Tensor dx = Tensor.zerosLike(x.value());
          dx.slice(axis, start, stop).copyFrom(dout);
          return new Tensor[] {dx};
        },
        x);
  }

  // ---------------------------------------------------------------- backward

  /**
   * Replays every recorded backward in reverse order, starting from dL/d(out) = dout.
   *
   * @param out the value the loss was computed from (usually the last one recorded)
   * @param dout its gradient, the shape of {@code out}
   * @throws IllegalStateException when called twice
   * @throws IllegalArgumentException when dout's shape differs from out's, or out belongs to
   *     another tape
   */
  public void backward(Var out, Tensor dout) {
    own("backward", out);
    if (!recording) {
      throw new IllegalStateException(
          "Tape.backward: this tape was made inside NoGrad and recorded nothing to replay; run"
              + " the forward outside NoGrad to train");
    }
    if (backwardDone) {
      throw new IllegalStateException("Tape.backward: a tape is replayed once; record a new one");
    }
    if (!dout.sameShape(out.value())) {
      throw new IllegalArgumentException(
          "Tape.backward: dout "
              + dout.shapeString()
              + " does not match the output "
              + out.value().shapeString());
    }
    backwardDone = true;
    grads = new Tensor[varCount];
    boolean[] owned = new boolean[varCount];
    grads[out.id()] = dout;
    for (int e = entries.size() - 1; e >= 0; e--) {
      Entry entry = entries.get(e);
      int id = entry.out().id();
      Tensor g = grads[id];
      if (g == null) {
        continue; // the loss does not depend on this output
      }
      if (entry.out() != out) {
        grads[id] = null; // release intermediate gradients as soon as they are used
      }
      long t0 = profile == null ? 0 : System.nanoTime();
      Tensor[] dins = entry.backward().apply(g);
      if (dins.length != entry.inputs().length) {
        throw new IllegalStateException(
            "Tape: the backward of '"
                + entry.op()
                + "' returned "
                + dins.length
                + " gradients for "
                + entry.inputs().length
                + " inputs");
      }
      for (int i = 0; i < dins.length; i++) {
        Var in = entry.inputs()[i];
        if (dins[i] == null || !in.requiresGrad()) {
          continue;
        }
        accumulate(entry.op(), in, dins[i], owned);
      }
      if (profile != null) {
        profile.backward(entry.op(), System.nanoTime() - t0);
      }
    }
  }

  /** Adds a gradient into a Var's slot; the first contribution is kept by reference. */
  private void accumulate(String op, Var in, Tensor d, boolean[] owned) {
    int id = in.id();
    if (!d.sameShape(in.value())) {
      throw new IllegalStateException(
          "Tape: the backward of '"
              + op
              + "' returned a gradient "
              + d.shapeString()
              + " for an input "
              + in.value().shapeString());
    }
    Tensor prev = grads[id];
    if (prev == null) {
      grads[id] = d;
    } else if (owned[id]) {
      prev.addi(d);
    } else {
      // Gradients that arrive by reference may be shared (add passes dout to both inputs), so
      // the first sum is a new tensor, and later contributions add into it.
      grads[id] = prev.add(d);
      owned[id] = true;
    }
  }

  /**
   * dL/d(value) of a Var after {@link #backward}: always available for {@link #input} leaves;
   * intermediate values' gradients are released as the replay passes them.
   *
   * @return the gradient, the shape of the value; zeros when the loss does not depend on it
   * @throws IllegalStateException before {@link #backward}, or for a released intermediate
   */
  public Tensor grad(Var v) {
    own("grad", v);
    if (!backwardDone) {
      throw new IllegalStateException("Tape.grad: call backward first");
    }
    Tensor g = grads[v.id()];
    if (g != null) {
      return g;
    }
    boolean leaf = v.requiresGrad() && entries.stream().noneMatch(e -> e.out() == v);
    if (!leaf && v.requiresGrad()) {
      throw new IllegalStateException(
          "Tape.grad: the gradient of an intermediate value is released during backward; make it"
              + " an input() to keep it");
    }
    return Tensor.zerosLike(v.value());
  }

  /** Number of recorded operations (for tests and debugging). */
  public int size() {
    return entries.size();
  }

  /** The recorded operation names in order, e.g. [Conv2d, ReLU, add]. */
  public List<String> ops() {
    return entries.stream().map(Entry::op).toList();
  }

  private void own(String op, Var v) {
    Objects.requireNonNull(v, "Tape." + op + ": var");
    if (v.tape() != this) {
      throw new IllegalArgumentException(
          "Tape."
              + op
              + ": "
              + v
              + " belongs to another tape ("
              + Arrays.toString(v.shape())
              + ")");
    }
  }

  private void checkRecording() {
    if (backwardDone) {
      throw new IllegalStateException("Tape: cannot record after backward; record a new tape");
    }
  }
}
