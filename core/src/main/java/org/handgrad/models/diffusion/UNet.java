package org.handgrad.models.diffusion;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.random.RandomGenerator;
import org.handgrad.nn.Module;
import org.handgrad.nn.Parameter;
import org.handgrad.nn.Sequential;
import org.handgrad.nn.functional.ConvParam;
import org.handgrad.nn.functional.Forward;
import org.handgrad.nn.functional.WordEmbedding;
import org.handgrad.nn.graph.Tape;
import org.handgrad.nn.graph.Var;
import org.handgrad.nn.init.Init;
import org.handgrad.nn.modules.Conv2d;
import org.handgrad.nn.modules.GroupNorm;
import org.handgrad.nn.modules.Linear;
import org.handgrad.nn.modules.SiLU;
import org.handgrad.nn.modules.Upsample;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * The time-conditioned U-Net (Ronneberger et al. 2015; DDPM, Ho et al. 2020) that predicts the
 * noise (or x0, v, a velocity) of a diffusion or flow model; by default exactly the reference U-Net
 * of {@code shared/bench/torch_generative.py} ({@link UNetConfig#reference()}, 852,897 parameters).
 * With L levels of widths w_0..w_{L-1}:
 *
 * <pre>
 *   emb = t2(silu(t1(sinusoidal(t, base)))) + cls[y]         (N, E)
 *   h = inc(x)                                               (N, base, H, W), 3x3 conv
 *   for i in 0..L-1:  h = down[i](h, emb); skip_i = h        (N, w_i, H/2^i, W/2^i)
 *                     if i &lt; L-1: h = pool[i](h)             3x3 conv, stride 2
 *   h = mid2(attn(mid1(h, emb)), emb)                        (N, w_{L-1}, H/2^(L-1), ...)
 *   for i in L-1..0:  h = up[j](concat(h, skip_i), emb)      j = L-1-i; (N, w_i, ...)
 *                     if i > 0: h = unpool[j](upsample2(h))  nearest x2, then 3x3 conv
 *   out = outc(silu(outn(h)))                                (N, C, H, W)
 * </pre>
 *
 * <p>Parameters carry the PyTorch module's state_dict names ({@code t1}, {@code t2}, {@code
 * cls.weight}, {@code inc}, {@code down.i.*}, {@code pool.i}, {@code mid1}, {@code attn.n}, {@code
 * attn.mha.*}, {@code mid2}, {@code up.j.*}, {@code unpool.j}, {@code outn}, {@code outc}), so a
 * state_dict copies across with two layout changes: linear weights are stored (in, out), the
 * transpose of PyTorch's, and PyTorch's packed {@code attn.mha.in_proj_weight} / {@code
 * in_proj_bias} are our {@code attn.mha.{query,key,value}} (row blocks 0, 1, 2, transposed), its
 * {@code out_proj} our {@code attn.mha.proj} (see docs/unet.md). {@code cls} exists only for a
 * class-conditional U-Net. Initialization: PyTorch's defaults (convs and linears uniform in
 * +-1/sqrt(fan_in), embedding N(0, 1), GroupNorm gamma 1, beta 0).
 *
 * <p>The graph is recorded on a {@link Tape} in {@link #forward(Tensor, double[], int[])}: the
 * sinusoidal embedding and the labels enter as constants, the images as an input, and the replay in
 * {@link #backward} sums the gradients where the skips and the shared embedding meet. The forward
 * keeps its tape until the next forward, so one U-Net runs one pass at a time (not thread-safe).
 *
 * <p>Dimensions: N batch, C image channels, H x W image, E embedding width, L levels.
 */
public final class UNet extends Module implements Denoiser {
  /** Holds the class-embedding table under the name "weight" (recorded as a pair by the U-Net). */
  private static final class ClassEmbedding extends Module {
    private final Parameter weight;

    ClassEmbedding(Tensor table) {
      weight = registerParameter("weight", table);
    }

    @Override
    public Tensor forward(Tensor x) {
      throw new UnsupportedOperationException("cls: recorded by the UNet");
    }

    @Override
    public Tensor backward(Tensor dout) {
      throw new UnsupportedOperationException("cls: recorded by the UNet");
    }
  }

  private final UNetConfig config;
  private final Linear t1;
  private final Linear t2;
  private final ClassEmbedding cls;
  private final Conv2d inc;
  private final List<ResBlock> down = new ArrayList<>();
  private final List<Conv2d> pool = new ArrayList<>();
  private final ResBlock mid1;
  private final AttentionBlock attn;
  private final ResBlock mid2;
  private final List<ResBlock> up = new ArrayList<>();
  private final List<Conv2d> unpool = new ArrayList<>();
  private final List<Upsample> upsample = new ArrayList<>();
  private final GroupNorm outn;
  private final Conv2d outc;
  private final SiLU timeAct = new SiLU();
  private final SiLU outAct = new SiLU();
  private Tape tape;
  private Var lastIn;
  private Var lastOut;

  /** A freshly initialized U-Net (see the class comment for the initialization). */
  public UNet(UNetConfig config) {
    this.config = Objects.requireNonNull(config, "config");
    DType dt = config.dtype();
    RandomGenerator rng = Init.rng(config.seed());
    int base = config.baseWidth(), e = config.timeDim(), g = config.groups();
    int[] widths = config.widths();
    int levels = widths.length;
    t1 = registerModule("t1", new Linear(base, e, dt, rng));
    t2 = registerModule("t2", new Linear(e, e, dt, rng));
    cls =
        config.numClasses() > 0
            ? registerModule(
                "cls", new ClassEmbedding(Init.normal(rng, dt, 1.0, config.numClasses() + 1, e)))
            : null;
    ConvParam same = new ConvParam(1, 1);
    inc = registerModule("inc", new Conv2d(config.inChannels(), base, 3, same, dt, rng));
    Sequential downs = new Sequential();
    Sequential pools = new Sequential();
    int cin = base;
    for (int i = 0; i < levels; i++) {
      ResBlock b = new ResBlock(cin, widths[i], e, g, dt, rng);
      down.add(b);
      downs.add(b);
      cin = widths[i];
      if (i < levels - 1) {
        // PyTorch floors the output size: 28 -> 14 reads rows -1..27 (see ConvParam#floor).
        Conv2d p = new Conv2d(cin, cin, 3, ConvParam.torch(2, 1), dt, rng);
        pool.add(p);
        pools.add(p);
      }
    }
    registerModule("down", downs);
    registerModule("pool", pools);
    mid1 = registerModule("mid1", new ResBlock(cin, cin, e, g, dt, rng));
    attn = registerModule("attn", new AttentionBlock(cin, g, config.heads(), dt, rng));
    mid2 = registerModule("mid2", new ResBlock(cin, cin, e, g, dt, rng));
    Sequential ups = new Sequential();
    Sequential unpools = new Sequential();
    for (int i = levels - 1; i >= 0; i--) {
      ResBlock b = new ResBlock(cin + widths[i], widths[i], e, g, dt, rng);
      up.add(b);
      ups.add(b);
      cin = widths[i];
      if (i > 0) {
        Conv2d c = new Conv2d(cin, cin, 3, same, dt, rng);
        unpool.add(c);
        unpools.add(c);
        upsample.add(new Upsample(2, Upsample.Mode.NEAREST));
      }
    }
    registerModule("up", ups);
    registerModule("unpool", unpools);
    outn = registerModule("outn", new GroupNorm(g, cin, dt));
    outc = registerModule("outc", new Conv2d(cin, config.inChannels(), 3, same, dt, rng));
  }

  /** The configuration. */
  public UNetConfig config() {
    return config;
  }

  /** The attention block at the lowest resolution. */
  public AttentionBlock attention() {
    return attn;
  }

  @Override
  public int numClasses() {
    return config.numClasses();
  }

  /**
   * Predicts from noisy images, recording the pass for {@link #backward}.
   *
   * @param x noisy images, shape (N, C, H, W), the U-Net's dtype; H and W divisible by 2^(L-1)
   * @param t times, length N (DDPM step indices, or a flow time scaled by the process)
   * @param y labels, length N, each in [0, numClasses] (numClasses = the null label), or null
   *     (every label null); must be null for an unconditional U-Net
   * @return the prediction, shape (N, C, H, W)
   * @throws IllegalArgumentException for a wrong shape, dtype, image size, t or y length, or a
   *     label out of range, naming the shapes
   */
  @Override
  public Tensor forward(Tensor x, double[] t, int[] y) {
    check(x, t, y);
    tape = null; // a failed pass leaves nothing to replay
    int n = x.shape(0);
    Tape tp = new Tape();
    Var in = tp.input(x);
    Var emb = tp.constant(TimeEmbedding.sinusoidal(t, config.baseWidth(), config.dtype()));
    emb = tp.module(t2, tp.module(timeAct, tp.module(t1, emb)));
    if (cls != null) {
      emb = tp.add(emb, classEmbedding(tp, n, y));
    }
    Var h = tp.module(inc, in);
    Deque<Var> skips = new ArrayDeque<>();
    for (int i = 0; i < down.size(); i++) {
      h = down.get(i).forward(tp, h, emb);
      skips.push(h);
      if (i < pool.size()) {
        h = tp.module(pool.get(i), h);
      }
    }
    h = mid2.forward(tp, attn.forward(tp, mid1.forward(tp, h, emb)), emb);
    for (int j = 0; j < up.size(); j++) {
      h = up.get(j).forward(tp, tp.concat(1, h, skips.pop()), emb);
      if (j < unpool.size()) {
        h = tp.module(unpool.get(j), tp.module(upsample.get(j), h));
      }
    }
    Var out = tp.module(outc, tp.module(outAct, tp.module(outn, h)));
    tape = tp;
    lastIn = in;
    lastOut = out;
    return out.value();
  }

  /** Looks up cls[y] (N, E) as a tape entry whose backward scatters into the table. */
  private Var classEmbedding(Tape tp, int n, int[] y) {
    int[] ids = new int[n];
    Arrays.fill(ids, config.numClasses());
    if (y != null) {
      System.arraycopy(y, 0, ids, 0, n);
    }
    int e = config.timeDim();
    Forward<WordEmbedding.Cache> f =
        WordEmbedding.wordEmbeddingForward(Tensor.of(ids, n, 1), cls.weight.value());
    return tp.record(
        "class_embedding",
        f.out().reshape(n, e),
        dout -> {
          cls.weight.accumulateGrad(
              WordEmbedding.wordEmbeddingBackward(dout.contiguous().reshape(n, 1, e), f.cache()));
          return new Tensor[0];
        });
  }

  /**
   * Backward of the most recent forward: adds every parameter's gradient and returns dL/dx. Each
   * forward can be replayed once.
   *
   * @param dout gradient of the loss with respect to the prediction, shape (N, C, H, W)
   * @return dx, shape (N, C, H, W)
   * @throws IllegalStateException without a forward since the last backward
   */
  @Override
  public Tensor backward(Tensor dout) {
    if (tape == null) {
      throw new IllegalStateException("UNet.backward: call forward(x, t, y) first");
    }
    Objects.requireNonNull(dout, "UNet.backward: dout");
    if (!dout.sameShape(lastOut.value()) || dout.dtype() != config.dtype()) {
      throw new IllegalArgumentException(
          "UNet.backward: expected dout "
              + lastOut.value().shapeString()
              + " "
              + config.dtype().numpyName()
              + " (the prediction's shape), got "
              + dout.shapeString()
              + " "
              + dout.dtype().numpyName());
    }
    Tape tp = tape;
    tape = null;
    tp.backward(lastOut, dout);
    return tp.grad(lastIn);
  }

  /**
   * A U-Net needs times (and labels): use {@link #forward(Tensor, double[], int[])}.
   *
   * @throws UnsupportedOperationException always
   */
  @Override
  public Tensor forward(Tensor x) {
    throw new UnsupportedOperationException("UNet: call forward(x, t, y)");
  }

  private void check(Tensor x, double[] t, int[] y) {
    Objects.requireNonNull(x, "unet: x");
    Objects.requireNonNull(t, "unet: t");
    int c = config.inChannels(), m = config.sizeMultiple();
    if (x.ndim() != 4 || x.shape(1) != c) {
      throw new IllegalArgumentException(
          "unet: expected x (N, C, H, W) with C=" + c + ", got " + x.shapeString());
    }
    if (x.dtype() != config.dtype()) {
      throw new IllegalArgumentException(
          "unet: x is "
              + x.dtype().numpyName()
              + " but the U-Net is "
              + config.dtype().numpyName());
    }
    int n = x.shape(0), h = x.shape(2), w = x.shape(3);
    if (h % m != 0 || w % m != 0) {
      throw new IllegalArgumentException(
          "unet: image size "
              + h
              + "x"
              + w
              + " is not divisible by 2^(levels-1) = "
              + m
              + " ("
              + config.levels()
              + " levels halve it "
              + (config.levels() - 1)
              + " times)");
    }
    if (t.length != n) {
      throw new IllegalArgumentException(
          "unet: expected " + n + " times for x " + x.shapeString() + ", got " + t.length);
    }
    if (y == null) {
      return;
    }
    if (config.numClasses() == 0) {
      throw new IllegalArgumentException(
          "unet: labels given to an unconditional U-Net (num_classes = 0); pass y = null");
    }
    if (y.length != n) {
      throw new IllegalArgumentException(
          "unet: expected " + n + " labels for x " + x.shapeString() + ", got " + y.length);
    }
    for (int i = 0; i < n; i++) {
      if (y[i] < 0 || y[i] > config.numClasses()) {
        throw new IllegalArgumentException(
            "unet: label "
                + y[i]
                + " at "
                + i
                + " is outside [0, "
                + config.numClasses()
                + "] (index "
                + config.numClasses()
                + " is the null label)");
      }
    }
  }

  @Override
  protected String extraRepr() {
    return config.toString();
  }
}
