package org.handgrad.models.transformer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.SplittableRandom;
import org.handgrad.models.rnn.CaptionDecoder;
import org.handgrad.models.rnn.SpecialTokens;
import org.handgrad.nn.Parameter;
import org.handgrad.nn.graph.Tape;
import org.handgrad.nn.graph.Var;
import org.handgrad.nn.init.WeightInit;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.handgrad.testing.Fixtures;
import org.handgrad.testing.Golden;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The decoder layer and the captioning transformer against PyTorch (scripts/fixtures/attention.py,
 * cases {@code decoder} and {@code captioner}): outputs, input gradients and every parameter
 * gradient within 1e-10 (float64) and 1e-5 (float32) of max|torch| ({@link Golden}).
 *
 * <p>Gradients that are zero by the maths (the fixture's docstring) are compared by their ABSOLUTE
 * difference: every key-projection bias (a shift shared by a row of scores, which the softmax
 * ignores; the stored values are rounding noise, so a relative comparison would compare two
 * round-offs), and in the captioner the cross-attention query and key projections (one memory
 * token: a softmax over one score) and the embedding rows of {@code <NULL>}, {@code <END>} and an
 * unused id, which the fixture stores as exact zeros.
 */
class CaptioningTransformerGoldenTest {
  private static final Map<String, Tensor> FIX = Fixtures.load("attention");

  private static Tensor fix(String key, DType dtype) {
    Tensor t = Fixtures.get(FIX, key);
    return t.dtype() == DType.INT32 ? t : t.to(dtype);
  }

  private static double tol(DType dtype) {
    return dtype == DType.FLOAT64 ? 1e-10 : 1e-5;
  }

  private static String tag(DType dtype) {
    return dtype == DType.FLOAT64 ? "f64" : "f32";
  }

  /** Relative comparison, or absolute for a gradient that vanishes in exact arithmetic. */
  private static void compare(String what, Tensor ours, Tensor theirs, double tol, boolean zero) {
    if (!zero) {
      Golden.assertClose(what, ours, theirs, tol);
      return;
    }
    assertEquals(theirs.dtype(), ours.dtype(), what + ": dtype");
    double diff = ours.sub(theirs).abs().max().item();
    assertTrue(diff < tol, what + ": absolute difference " + diff + " >= " + tol);
  }

  // ---------------------------------------------------------------- the decoder layer

  /**
   * Our name -> the fixture array in our layout. PyTorch packs [Wq; Wk; Wv] by rows into
   * in_proj_weight (out, in); our Linear weights are (in, out).
   */
  private static Tensor decoderValue(String prefix, String ours, DType dtype) {
    String[] part = ours.split("\\.");
    String leaf = part[part.length - 1];
    if (ours.startsWith("self_attn.") || ours.startsWith("cross_attn.")) {
      String mha = ours.startsWith("self_attn.") ? "self_attn." : "multihead_attn.";
      String proj = part[1];
      if (proj.equals("proj")) {
        Tensor t = fix(prefix + mha + "out_proj." + leaf, dtype);
        return leaf.equals("weight") ? t.transpose().contiguous() : t;
      }
      int block = proj.equals("query") ? 0 : proj.equals("key") ? 1 : 2;
      Tensor packed =
          fix(prefix + mha + (leaf.equals("weight") ? "in_proj_weight" : "in_proj_bias"), dtype);
      Tensor rows = packed.slice(0, block * 8, (block + 1) * 8);
      return (leaf.equals("weight") ? rows.transpose() : rows).contiguous();
    }
    String torch =
        ours.replace("ffn.linear1", "linear1")
            .replace("ffn.linear2", "linear2")
            .replace("norm_self", "norm1")
            .replace("norm_cross", "norm2")
            .replace("norm_ffn", "norm3");
    Tensor t = fix(prefix + torch, dtype);
    return t.ndim() == 2 ? t.transpose().contiguous() : t;
  }

  @ParameterizedTest
  @EnumSource(
      value = DType.class,
      names = {"FLOAT64", "FLOAT32"})
  void decoderLayerMatchesNnTransformerDecoderLayer(DType dtype) {
    TransformerDecoderLayer layer =
        new TransformerDecoderLayer(
            8, 2, 16, 0.0, dtype, WeightInit.pytorch(), new SplittableRandom(1), 0);
    for (Parameter p : layer.parameters()) {
      p.assign(decoderValue("decoder_p_", p.name(), dtype));
    }
    layer.train();
    Tape tape = new Tape();
    Var tgt = tape.input(fix("decoder_tgt", dtype));
    Var memory = tape.input(fix("decoder_memory", dtype));
    Var out = layer.forward(tape, tgt, memory, Fixtures.get(FIX, "decoder_tgt_mask"));
    tape.backward(out, fix("decoder_dout", dtype));
    String r = "decoder_" + tag(dtype) + "_";
    double tol = tol(dtype);
    Golden.assertClose("decoder out", out.value(), fix(r + "out", dtype), tol);
    Golden.assertClose("decoder dtgt", tape.grad(tgt), fix(r + "dtgt", dtype), tol);
    Golden.assertClose("decoder dmemory", tape.grad(memory), fix(r + "dmemory", dtype), tol);
    for (Parameter p : layer.parameters()) {
      compare(
          "decoder d" + p.name(),
          p.grad(),
          decoderValue(r + "grad_", p.name(), dtype),
          tol,
          p.name().endsWith("key.bias"));
    }
  }

  // ---------------------------------------------------------------- the captioner

  /** Our parameter name -> CS231n's state_dict name. */
  private static String cs231nName(String ours) {
    return ours.replace("ffn.linear1", "ffn.fc1").replace("ffn.linear2", "ffn.fc2");
  }

  private static Tensor captionerValue(String prefix, String ours, DType dtype) {
    Tensor t = fix(prefix + cs231nName(ours), dtype);
    // nn.Linear weights are (out, in); the embedding table is (V, W) in both.
    return t.ndim() == 2 && !ours.equals("embedding.weight") ? t.transpose().contiguous() : t;
  }

  static CaptioningTransformer fixtureCaptioner(DType dtype) {
    CaptioningTransformer m =
        new CaptioningTransformer(
            new CaptioningTransformer.Config(
                7, 6, 8, 2, 2, 10, 16, 0.0, dtype, 0, SpecialTokens.cs231n()));
    for (Parameter p : m.parameters()) {
      p.assign(captionerValue("captioner_p_", p.name(), dtype));
    }
    // CS231n builds its table in float32 whatever the model dtype; the fixture's float64 run uses
    // a float64 table: the stored tables are the ones each run used.
    m.buffers().get("positional_encoding.pe").copyFrom(fix("posenc_" + tag(dtype) + "_pe", dtype));
    return m;
  }

  @ParameterizedTest
  @EnumSource(
      value = DType.class,
      names = {"FLOAT64", "FLOAT32"})
  void captionerMatchesCs231nCaptioningTransformer(DType dtype) {
    CaptioningTransformer m = fixtureCaptioner(dtype);
    assertEquals(2 * 26 + 5, m.parameters().size()); // 2 layers of 26, plus 5
    Tensor features = fix("captioner_features", dtype);
    Tensor captions = Fixtures.get(FIX, "captioner_captions");
    String r = "captioner_" + tag(dtype) + "_";
    double tol = tol(dtype);
    m.train();
    Golden.assertClose(
        "captioner scores",
        m.scores(features, captions.slice(1, 0, 5).contiguous()),
        fix(r + "scores", dtype),
        tol);
    CaptionDecoder.Loss loss = m.loss(features, captions);
    Golden.assertClose("captioner loss", loss.loss(), fix(r + "loss", DType.FLOAT64).item(), tol);
    Golden.assertClose("captioner dfeatures", loss.dfeatures(), fix(r + "dfeatures", dtype), tol);
    for (Parameter p : m.parameters()) {
      String n = p.name();
      boolean zero =
          n.endsWith("self_attn.key.bias")
              || n.contains("cross_attn.query.")
              || n.contains("cross_attn.key.");
      compare("captioner d" + n, p.grad(), captionerValue(r + "grad_", n, dtype), tol, zero);
    }
    // Exactly zero by the maths: one memory token, and inputs that reach only masked targets.
    for (int l = 0; l < 2; l++) {
      for (String w : new String[] {"query", "key"}) {
        String n = "transformer.layers." + l + ".cross_attn." + w + ".weight";
        Tensor g =
            m.parameters().stream()
                .filter(p -> p.name().equals(n))
                .findFirst()
                .orElseThrow()
                .grad();
        assertEquals(0.0, g.abs().max().item(), n);
      }
    }
    Tensor demb = m.parameters().get(2).grad();
    assertEquals("embedding.weight", m.parameters().get(2).name());
    for (int row : new int[] {0, 2, 3}) {
      assertEquals(0.0, demb.select(0, row).abs().max().item(), "embedding row " + row);
    }
  }
}
