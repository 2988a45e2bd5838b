package org.handgrad.models.diffusion;

import java.util.Objects;
import java.util.random.RandomGenerator;
import org.handgrad.nn.functional.ConvParam;
import org.handgrad.nn.functional.Film;
import org.handgrad.nn.functional.Forward;
import org.handgrad.nn.graph.Tape;
import org.handgrad.nn.graph.TapeModule;
import org.handgrad.nn.graph.Var;
import org.handgrad.nn.modules.Conv2d;
import org.handgrad.nn.modules.GroupNorm;
import org.handgrad.nn.modules.Linear;
import org.handgrad.nn.modules.SiLU;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * The U-Net's residual block, conditioned on the time (and class) embedding by FiLM, as in the
 * reference U-Net of {@code shared/bench/torch_generative.py} (the DDPM block of Ho et al. 2020
 * with the scale-shift form of Dhariwal and Nichol 2021):
 *
 * <pre>
 *   h = c1(silu(n1(x)))                         (N, Cout, H, W), 3x3 conv, pad 1
 *   scale, shift = split(film(silu(emb)))       (N, Cout) each; film: Linear(E, 2 Cout)
 *   h = h * (1 + scale) + shift                 broadcast over H, W ({@link Film})
 *   h = c2(silu(n2(h)))                         (N, Cout, H, W)
 *   out = h + skip(x)                           skip: 1x1 conv when Cin != Cout, else identity
 * </pre>
 *
 * <p>Children, PyTorch's names: {@code n1} GroupNorm(G, Cin), {@code c1}, {@code film}, {@code n2}
 * GroupNorm(G, Cout), {@code c2}, {@code skip} (only when Cin != Cout). Linear weights are stored
 * (in, out), the transpose of PyTorch's. It records plain modules on the tape, so it runs once per
 * tape. Dimensions: N batch, Cin/Cout channels, H x W positions, E embedding width.
 */
public final class ResBlock extends TapeModule {
  private final int outChannels;
  private final GroupNorm n1;
  private final Conv2d c1;
  private final Linear film;
  private final GroupNorm n2;
  private final Conv2d c2;
  private final Conv2d skip;
  private final SiLU act1 = new SiLU();
  private final SiLU actEmb = new SiLU();
  private final SiLU act2 = new SiLU();

  /**
   * A block with PyTorch's default initialization of its convolutions and linear layer.
   *
   * @param inChannels Cin, divisible by groups
   * @param outChannels Cout, divisible by groups
   * @param embDim E, width of the embedding
   * @param groups G of both GroupNorms
   * @param dtype float32 or float64
   * @param rng draws c1, film, c2, skip in that order
   */
  public ResBlock(
      int inChannels, int outChannels, int embDim, int groups, DType dtype, RandomGenerator rng) {
    this.outChannels = outChannels;
    ConvParam same = new ConvParam(1, 1);
    n1 = registerModule("n1", new GroupNorm(groups, inChannels, dtype));
    c1 = registerModule("c1", new Conv2d(inChannels, outChannels, 3, same, dtype, rng));
    film = registerModule("film", new Linear(embDim, 2 * outChannels, dtype, rng));
    n2 = registerModule("n2", new GroupNorm(groups, outChannels, dtype));
    c2 = registerModule("c2", new Conv2d(outChannels, outChannels, 3, same, dtype, rng));
    skip =
        inChannels == outChannels
            ? null
            : registerModule(
                "skip", new Conv2d(inChannels, outChannels, 1, new ConvParam(1, 0), dtype, rng));
  }

  /**
   * The block needs the embedding: use {@link #forward(Tape, Var, Var)}.
   *
   * @throws UnsupportedOperationException always
   */
  @Override
  public Var forward(Tape tape, Var x) {
    throw new UnsupportedOperationException(
        "ResBlock needs the time embedding: call forward(tape, x, emb)");
  }

  /**
   * Records the block.
   *
   * @param x feature map, shape (N, Cin, H, W)
   * @param emb time (+ class) embedding, shape (N, E)
   * @return shape (N, Cout, H, W)
   */
  public Var forward(Tape tape, Var x, Var emb) {
    Objects.requireNonNull(emb, "ResBlock: emb");
    Var h = tape.module(c1, tape.module(act1, tape.module(n1, x)));
    Var ss = tape.module(film, tape.module(actEmb, emb)); // (N, 2 Cout): [scale | shift]
    Var scale = tape.slice(ss, 1, 0, outChannels);
    Var shift = tape.slice(ss, 1, outChannels, 2 * outChannels);
    h = film(tape, h, scale, shift);
    h = tape.module(c2, tape.module(act2, tape.module(n2, h)));
    return tape.add(h, skip == null ? x : tape.module(skip, x));
  }

  /** Records the FiLM pair: {@code h * (1 + scale) + shift}. */
  static Var film(Tape tape, Var h, Var scale, Var shift) {
    Forward<Film.Cache> f = Film.filmForward(h.value(), scale.value(), shift.value());
    return tape.record(
        "film",
        f.out(),
        dout -> {
          Film.Grads g = Film.filmBackward(dout, f.cache());
          return new Tensor[] {g.dx(), g.dscale(), g.dshift()};
        },
        h,
        scale,
        shift);
  }
}
