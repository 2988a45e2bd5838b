package org.handgrad.nn.checks;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.function.Supplier;
import org.handgrad.nn.GradCheck;
import org.handgrad.nn.GradCheckResult;
import org.handgrad.nn.functional.Attention;
import org.handgrad.nn.functional.Dropout.DropoutParam;
import org.handgrad.nn.functional.Forward;
import org.handgrad.nn.functional.PatchEmbedding;
import org.handgrad.nn.functional.PositionalEncoding;
import org.handgrad.nn.functional.Tokens;
import org.handgrad.nn.graph.Tape;
import org.handgrad.nn.graph.TapeModule;
import org.handgrad.nn.graph.Var;
import org.handgrad.nn.init.WeightInit;
import org.handgrad.nn.modules.MultiHeadAttention;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * Float64 gradient checks of the attention family: scaled dot-product attention (masked, and with
 * dropout on the weights), multi-head cross-attention with a mask (every input and all eight
 * projection parameters), the multi-head attention module as self-attention on a tape (query = key
 * = value, so the three gradients must add), sinusoidal and learned positional encodings, patch
 * embedding and the class-token ops. Tolerance 1e-7.
 *
 * <p>Attention is smooth (softmax, products), so the plain centered difference of the house is
 * enough for the single pairs; a masked entry contributes nothing in the forward pass and exactly 0
 * in the backward pass, which the unit tests assert separately.
 */
public final class AttentionChecks {
  private AttentionChecks() {}

  private static final double TOL = 1e-7;
  private static final double H = GradCheck.DEFAULT_H;
  private static final DType F64 = DType.FLOAT64;

  /** The attention checks by layer name. */
  public static Map<String, Supplier<List<GradCheckResult>>> checks() {
    Map<String, Supplier<List<GradCheckResult>>> m = new LinkedHashMap<>();
    m.put("attention", () -> sdpa("attention", false));
    m.put("attention_dropout", () -> sdpa("attention_dropout", true));
    m.put("multi_head_attention", AttentionChecks::mha);
    m.put(
        "multi_head_attention_self",
        () -> ModuleChecks.module("multi_head_attention_self", selfAttention(401), 402, 2, 3, 4));
    m.put("positional_encoding", AttentionChecks::positionalEncoding);
    m.put("positional_embedding", AttentionChecks::positionalEmbedding);
    m.put("patch_embedding", AttentionChecks::patchEmbedding);
    m.put("class_token", AttentionChecks::classToken);
    return m;
  }

  private static List<GradCheckResult> sdpa(String layer, boolean dropout) {
    SplittableRandom rng = new SplittableRandom(dropout ? 412 : 411);
    Tensor q = randn(rng, 2, 2, 3, 4);
    Tensor k = randn(rng, 2, 2, 5, 4);
    Tensor v = randn(rng, 2, 2, 5, 4);
    Tensor mask = Tensor.of(new int[] {1, 0, 1, 1, 0, 0, 1, 1, 0, 1, 1, 1, 1, 1, 0}, 3, 5);
    DropoutParam p = dropout ? DropoutParam.train(0.7, 99) : DropoutParam.test(1);
    Tensor dout = randn(rng, 2, 2, 3, 4);
    Attention.Grads g =
        Attention.scaledDotProductAttentionBackward(
            dout, Attention.scaledDotProductAttentionForward(q, k, v, mask, p).cache());
    Function<Tensor[], Tensor> f =
        in -> Attention.scaledDotProductAttentionForward(in[0], in[1], in[2], mask, p).out();
    Tensor[] in = {q, k, v};
    return List.of(
        row(layer, "dq", num(f, in, 0, dout), g.dq()),
        row(layer, "dk", num(f, in, 1, dout), g.dk()),
        row(layer, "dv", num(f, in, 2, dout), g.dv()));
  }

  private static List<GradCheckResult> mha() {
    String layer = "multi_head_attention";
    SplittableRandom rng = new SplittableRandom(421);
    int e = 6;
    Tensor mask = Tensor.of(new int[] {1, 1, 0, 1, 0, 1, 1, 0, 1, 1, 1, 1}, 3, 4);
    String[] names = {
      "dquery", "dkey", "dvalue", "dwq", "dbq", "dwk", "dbk", "dwv", "dbv", "dwo", "dbo"
    };
    Function<Tensor[], Tensor> f =
        in ->
            Attention.multiHeadAttentionForward(
                    in[0],
                    in[1],
                    in[2],
                    new Attention.Projections(
                        in[3], in[4], in[5], in[6], in[7], in[8], in[9], in[10]),
                    3,
                    mask,
                    DropoutParam.test(1))
                .out();
    // Redraw until every analytic element is measurable (see ModuleChecks: an element near 1e-5
    // would measure the centered difference's round-off, not the backward pass).
    for (int draw = 0; draw < 1000; draw++) {
      Tensor[] in = new Tensor[11];
      in[0] = randn(rng, 2, 3, e);
      in[1] = randn(rng, 2, 4, e);
      in[2] = randn(rng, 2, 4, e);
      for (int i = 0; i < 8; i++) {
        in[3 + i] = i % 2 == 0 ? randn(rng, e, e).mul(0.5) : randn(rng, e);
      }
      Tensor dout = randn(rng, 2, 3, e);
      Forward<Attention.MhaCache> fw =
          Attention.multiHeadAttentionForward(
              in[0],
              in[1],
              in[2],
              new Attention.Projections(in[3], in[4], in[5], in[6], in[7], in[8], in[9], in[10]),
              3,
              mask,
              DropoutParam.test(1));
      Attention.MhaGrads g = Attention.multiHeadAttentionBackward(dout, fw.cache());
      Tensor[] analytic = {
        g.dquery(),
        g.dkey(),
        g.dvalue(),
        g.dwq(),
        g.dbq(),
        g.dwk(),
        g.dbk(),
        g.dwv(),
        g.dbv(),
        g.dwo(),
        g.dbo()
      };
      boolean ok = true;
      for (Tensor a : analytic) {
        ok &= ModuleChecks.vanishes(a) || ModuleChecks.measurable(a);
      }
      if (!ok) {
        continue;
      }
      List<GradCheckResult> rows = new ArrayList<>();
      for (int i = 0; i < in.length; i++) {
        Tensor numeric = num(f, in, i, dout);
        // dbk is exactly 0 (a key bias shifts a whole row of scores): absolute error.
        rows.add(
            ModuleChecks.vanishes(analytic[i])
                ? ModuleChecks.absoluteRow(layer, names[i], numeric, analytic[i])
                : row(layer, names[i], numeric, analytic[i]));
      }
      return rows;
    }
    throw new IllegalStateException(layer + " check: no measurable draw in 1000");
  }

  /** The module as a plain module: self-attention with E = 4, H = 2, dropout 0.3 in training. */
  static TapeModule selfAttention(long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    MultiHeadAttention m = new MultiHeadAttention(4, 2, 0.3, F64, WeightInit.pytorch(), rng, seed);
    ModuleChecks.perturbParameters(m, rng);
    return m;
  }

  private static List<GradCheckResult> positionalEncoding() {
    SplittableRandom rng = new SplittableRandom(431);
    Tensor x = randn(rng, 2, 3, 4);
    Tensor table = PositionalEncoding.sinusoidalTable(5, 4, F64);
    DropoutParam p = DropoutParam.train(0.8, 7);
    Tensor dout = randn(rng, 2, 3, 4);
    Tensor dx =
        PositionalEncoding.positionalEncodingBackward(
            dout, PositionalEncoding.positionalEncodingForward(x, table, p).cache());
    Function<Tensor[], Tensor> f =
        in -> PositionalEncoding.positionalEncodingForward(in[0], table, p).out();
    return List.of(row("positional_encoding", "dx", num(f, new Tensor[] {x}, 0, dout), dx));
  }

  private static List<GradCheckResult> positionalEmbedding() {
    SplittableRandom rng = new SplittableRandom(441);
    Tensor x = randn(rng, 2, 3, 4);
    Tensor pos = randn(rng, 5, 4);
    Tensor dout = randn(rng, 2, 3, 4);
    PositionalEncoding.Grads g =
        PositionalEncoding.positionalEmbeddingBackward(
            dout, PositionalEncoding.positionalEmbeddingForward(x, pos).cache());
    Function<Tensor[], Tensor> f =
        in -> PositionalEncoding.positionalEmbeddingForward(in[0], in[1]).out();
    Tensor[] in = {x, pos};
    return List.of(
        row("positional_embedding", "dx", num(f, in, 0, dout), g.dx()),
        row("positional_embedding", "dpos", num(f, in, 1, dout), g.dpos()));
  }

  private static List<GradCheckResult> patchEmbedding() {
    SplittableRandom rng = new SplittableRandom(451);
    Tensor x = randn(rng, 2, 2, 4, 6);
    Tensor w = randn(rng, 2 * 2 * 2, 5);
    Tensor b = randn(rng, 5);
    Tensor dout = randn(rng, 2, 6, 5);
    PatchEmbedding.Grads g =
        PatchEmbedding.patchEmbeddingBackward(
            dout, PatchEmbedding.patchEmbeddingForward(x, w, b, 2).cache());
    Function<Tensor[], Tensor> f =
        in -> PatchEmbedding.patchEmbeddingForward(in[0], in[1], in[2], 2).out();
    Tensor[] in = {x, w, b};
    return List.of(
        row("patch_embedding", "dx", num(f, in, 0, dout), g.dx()),
        row("patch_embedding", "dw", num(f, in, 1, dout), g.dw()),
        row("patch_embedding", "db", num(f, in, 2, dout), g.db()));
  }

  /** Prepend a class token, then read token 1 and token 0 back out, summed: a tiny tape. */
  private static List<GradCheckResult> classToken() {
    SplittableRandom rng = new SplittableRandom(461);
    Tensor x = randn(rng, 2, 3, 4);
    Tensor token = randn(rng, 4);
    Tensor dout = randn(rng, 2, 4);
    Function<Tensor[], Tensor> f =
        in -> {
          Tensor h = Tokens.prependTokenForward(in[0], in[1]);
          return Tokens.selectTokenForward(h, 0)
              .out()
              .add(Tokens.selectTokenForward(h, 2).out().mul(3));
        };
    Tape tape = new Tape();
    Var vx = tape.input(x);
    Var vt = tape.input(token);
    Tensor h = Tokens.prependTokenForward(x, token);
    Var vh =
        tape.record(
            "prepend",
            h,
            d -> {
              Tokens.Grads g = Tokens.prependTokenBackward(d);
              return new Tensor[] {g.dx(), g.dtoken()};
            },
            vx,
            vt);
    Var a = select(tape, vh, 0);
    Var c = select(tape, vh, 2);
    Var c3 = tape.record("times3", c.value().mul(3), d -> new Tensor[] {d.mul(3)}, c);
    Var out = tape.add(a, c3);
    tape.backward(out, dout);
    Tensor[] in = {x, token};
    return List.of(
        row("class_token", "dx", num(f, in, 0, dout), tape.grad(vx)),
        row("class_token", "dtoken", num(f, in, 1, dout), tape.grad(vt)));
  }

  private static Var select(Tape tape, Var x, int index) {
    Forward<int[]> s = Tokens.selectTokenForward(x.value(), index);
    return tape.record(
        "select", s.out(), d -> new Tensor[] {Tokens.selectTokenBackward(d, s.cache())}, x);
  }

  // ---------------------------------------------------------------- helpers

  private static Tensor num(Function<Tensor[], Tensor> f, Tensor[] in, int i, Tensor dout) {
    return GradCheck.evalNumericalGradientArray(t -> f.apply(in), in[i], dout, H);
  }

  private static GradCheckResult row(String layer, String input, Tensor numeric, Tensor analytic) {
    return new GradCheckResult(layer, input, GradCheck.relError(numeric, analytic), TOL);
  }

  private static Tensor randn(SplittableRandom rng, int... shape) {
    Tensor t = Tensor.zeros(F64, shape);
    for (int i = 0; i < t.size(); i++) {
      t.setFlat(i, rng.nextGaussian());
    }
    return t;
  }
}
