package org.handgrad.nn.functional;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.SplittableRandom;
import org.handgrad.nn.Parameter;
import org.handgrad.nn.functional.Dropout.DropoutParam;
import org.handgrad.nn.graph.Tape;
import org.handgrad.nn.graph.Var;
import org.handgrad.nn.modules.Linear;
import org.handgrad.nn.modules.MultiHeadAttention;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.handgrad.testing.Fixtures;
import org.handgrad.testing.Golden;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The attention family against PyTorch (fixtures/attention.npz, scripts/fixtures/attention.py):
 * outputs, attention weights and every gradient, float64 within 1e-10 and float32 within 1e-5 of
 * the largest reference magnitude. The key-projection bias gradient is zero in exact arithmetic
 * (both sides hold round-off), so it is compared with an absolute bound instead.
 */
class AttentionGoldenTest {
  private static final DropoutParam NONE = DropoutParam.test(1);
  private static Map<String, Tensor> fixture;

  private static synchronized Tensor get(String key, DType dtype) {
    if (fixture == null) {
      fixture = Fixtures.load("attention");
    }
    Tensor t = Fixtures.get(fixture, key);
    return dtype == null || !t.dtype().isFloating() ? t : t.to(dtype);
  }

  private static String tag(DType dt) {
    return dt == DType.FLOAT64 ? "f64" : "f32";
  }

  private static double tol(DType dt) {
    return dt == DType.FLOAT64 ? 1e-10 : 1e-5;
  }

  @ParameterizedTest
  @ValueSource(strings = {"sdpa", "sdpa_causal"})
  void scaledDotProductAttentionMatchesPyTorch(String c) {
    for (DType dt : new DType[] {DType.FLOAT64, DType.FLOAT32}) {
      String p = c + "_" + tag(dt) + "_";
      Forward<Attention.Cache> f =
          Attention.scaledDotProductAttentionForward(
              get(c + "_q", dt),
              get(c + "_k", dt),
              get(c + "_v", dt),
              get(c + "_mask", null),
              NONE);
      Golden.assertClose(p + "out", f.out(), get(p + "out", null), tol(dt));
      Golden.assertClose(p + "attn", f.cache().attn(), get(p + "attn", null), tol(dt));
      Attention.Grads g =
          Attention.scaledDotProductAttentionBackward(get(c + "_dout", dt), f.cache());
      Golden.assertClose(p + "dq", g.dq(), get(p + "dq", null), tol(dt));
      Golden.assertClose(p + "dk", g.dk(), get(p + "dk", null), tol(dt));
      Golden.assertClose(p + "dv", g.dv(), get(p + "dv", null), tol(dt));
    }
  }

  @ParameterizedTest
  @EnumSource(
      value = DType.class,
      names = {"FLOAT64", "FLOAT32"})
  void crossAttentionMatchesCs231nAndPyTorch(DType dt) {
    String p = "mha_" + tag(dt) + "_";
    MultiHeadAttention m = module("mha", dt);
    Tape tape = new Tape();
    Var q = tape.input(get("mha_query", dt));
    Var k = tape.input(get("mha_key", dt));
    Var v = tape.input(get("mha_value", dt));
    Var out = m.forward(tape, q, k, v, get("mha_mask", null));
    Golden.assertClose(p + "out", out.value(), get(p + "out", null), tol(dt));
    Golden.assertClose(p + "attn", m.lastAttention(), get(p + "attn", null), tol(dt));
    tape.backward(out, get("mha_dout", dt));
    Golden.assertClose(p + "dquery", tape.grad(q), get(p + "dquery", null), tol(dt));
    Golden.assertClose(p + "dkey", tape.grad(k), get(p + "dkey", null), tol(dt));
    Golden.assertClose(p + "dvalue", tape.grad(v), get(p + "dvalue", null), tol(dt));
    assertParameterGrads("mha", m, dt);
  }

  @ParameterizedTest
  @EnumSource(
      value = DType.class,
      names = {"FLOAT64", "FLOAT32"})
  void selfAttentionAddsTheGradientsOfItsThreeUses(DType dt) {
    String p = "mha_self_" + tag(dt) + "_";
    MultiHeadAttention m = module("mha_self", dt);
    Tape tape = new Tape();
    Var x = tape.input(get("mha_self_x", dt));
    Var out = m.forward(tape, x, x, x, get("mha_self_mask", null));
    Golden.assertClose(p + "out", out.value(), get(p + "out", null), tol(dt));
    tape.backward(out, get("mha_self_dout", dt));
    Golden.assertClose(p + "dx", tape.grad(x), get(p + "dx", null), tol(dt));
    assertParameterGrads("mha_self", m, dt);
  }

  @ParameterizedTest
  @EnumSource(
      value = DType.class,
      names = {"FLOAT64", "FLOAT32"})
  void sinusoidalEncodingMatchesCs231n(DType dt) {
    String p = "posenc_" + tag(dt) + "_";
    Tensor table = PositionalEncoding.sinusoidalTable(10, 8, dt);
    // CS231n computes its table in float32 arithmetic, we in float64 rounded once: ~1 ulp apart.
    Golden.assertClose(p + "pe", table, get(p + "pe", null), tol(dt));
    Forward<PositionalEncoding.Cache> f =
        PositionalEncoding.positionalEncodingForward(get("posenc_x", dt), table, NONE);
    Golden.assertClose(p + "out", f.out(), get(p + "out", null), tol(dt));
    Tensor dx = PositionalEncoding.positionalEncodingBackward(get("posenc_dout", dt), f.cache());
    Golden.assertClose(p + "dx", dx, get(p + "dx", null), tol(dt));
  }

  @ParameterizedTest
  @EnumSource(
      value = DType.class,
      names = {"FLOAT64", "FLOAT32"})
  void patchEmbeddingIsTheStridedConvolution(DType dt) {
    String p = "patch_" + tag(dt) + "_";
    // PyTorch's conv weight (D, C, P, P) is our (C P P, D) transposed.
    Tensor convW = get("patch_p_weight", dt);
    Tensor w = convW.reshape(6, 48).transpose().contiguous();
    Forward<PatchEmbedding.Cache> f =
        PatchEmbedding.patchEmbeddingForward(get("patch_x", dt), w, get("patch_p_bias", dt), 4);
    Golden.assertClose(p + "out", f.out(), get(p + "out", null), tol(dt));
    PatchEmbedding.Grads g =
        PatchEmbedding.patchEmbeddingBackward(get("patch_dout", dt), f.cache());
    Golden.assertClose(p + "dx", g.dx(), get(p + "dx", null), tol(dt));
    Golden.assertClose(
        p + "grad_weight",
        g.dw().transpose().contiguous().reshape(6, 3, 4, 4),
        get(p + "grad_weight", null),
        tol(dt));
    Golden.assertClose(p + "grad_bias", g.db(), get(p + "grad_bias", null), tol(dt));
  }

  /** A module holding the fixture's CS231n weights (transposed to our (in, out) layout). */
  private static MultiHeadAttention module(String c, DType dt) {
    MultiHeadAttention m = new MultiHeadAttention(8, 2, 0.0, dt, new SplittableRandom(0), 0);
    load(m.query(), c + "_p_query", dt);
    load(m.key(), c + "_p_key", dt);
    load(m.value(), c + "_p_value", dt);
    load(m.proj(), c + "_p_proj", dt);
    return m;
  }

  private static void load(Linear l, String prefix, DType dt) {
    l.weight().assign(get(prefix + ".weight", dt).transpose().contiguous());
    l.bias().orElseThrow().assign(get(prefix + ".bias", dt));
  }

  private static void assertParameterGrads(String c, MultiHeadAttention m, DType dt) {
    String p = c + "_" + tag(dt) + "_grad_";
    for (String name : new String[] {"query", "key", "value", "proj"}) {
      Linear l =
          switch (name) {
            case "query" -> m.query();
            case "key" -> m.key();
            case "value" -> m.value();
            default -> m.proj();
          };
      Golden.assertClose(
          p + name + ".weight",
          l.weight().grad().transpose().contiguous(),
          get(p + name + ".weight", null),
          tol(dt));
      Parameter b = l.bias().orElseThrow();
      if (name.equals("key")) {
        // zero in exact arithmetic: a key bias shifts a whole row of scores
        double bound = dt == DType.FLOAT64 ? 1e-13 : 1e-5;
        for (int i = 0; i < b.size(); i++) {
          assertTrue(Math.abs(b.grad().getFlat(i)) < bound, "key.bias grad " + b.grad());
        }
      } else {
        Golden.assertClose(p + name + ".bias", b.grad(), get(p + name + ".bias", null), tol(dt));
      }
    }
  }
}
