package org.handgrad.models.transformer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.handgrad.models.ModelChecks;
import org.handgrad.models.rnn.CaptionDecoder;
import org.handgrad.models.rnn.CaptioningChecks;
import org.handgrad.models.rnn.SpecialTokens;
import org.handgrad.nn.GradCheck;
import org.handgrad.nn.GradCheckResult;
import org.handgrad.nn.Parameter;
import org.handgrad.nn.checks.ModuleChecks;
import org.handgrad.nn.functional.Attention;
import org.handgrad.nn.functional.TemporalSoftmaxLoss;
import org.handgrad.nn.graph.Tape;
import org.handgrad.nn.graph.TapeModule;
import org.handgrad.nn.graph.Var;
import org.handgrad.nn.init.WeightInit;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * Float64 gradient checks of the transformer decoder: {@code transformer_decoder_layer} (CS231n's
 * post-norm layer with dropout, through {@link ModuleChecks#module}: the input holds tgt and memory
 * side by side, so dx covers dtgt and dmemory; dropout 0.2 with the masks pinned) and {@code
 * model_captioning_transformer} (every parameter and the region features through the whole
 * captioning loss, five-point differences as the other captioning checks, no dropout: measured
 * worst 2.0e-8; with dropout 0.1 the dropped units leave gradient entries near the stencil's floor,
 * 8e-8 and 3e-7 for two seeds, so the dropout paths are checked in the layer check instead).
 * Registered by {@link ModelChecks#checks()}.
 */
public final class TransformerChecks {
  private TransformerChecks() {}

  private static final DType F64 = DType.FLOAT64;

  /**
   * The stencil's step for the whole-model check: a caption loss is ~10, so round-off (eps |L| / h)
   * dominates at 1e-4 for elements near 1e-4; 1e-3 balances it against the O(h^4) truncation, as
   * for the RNN captioners (models.rnn.CaptioningChecks).
   */
  private static final double H = 1e-3;

  /** The checks by name. */
  public static Map<String, Supplier<List<GradCheckResult>>> checks() {
    Map<String, Supplier<List<GradCheckResult>>> m = new LinkedHashMap<>();
    m.put("transformer_decoder_layer", TransformerChecks::decoderLayer);
    m.put("model_captioning_transformer", TransformerChecks::captioner);
    return m;
  }

  /**
   * A decoder layer on a (N, T + R, E) input: the first T positions are the caption state (under a
   * causal mask), the last R the memory.
   */
  static final class DecoderLayerCheck extends TapeModule {
    private final TransformerDecoderLayer layer;
    private final int t;

    DecoderLayerCheck(TransformerDecoderLayer layer, int t) {
      this.layer = registerModule("layer", layer);
      this.t = t;
    }

    @Override
    public Var forward(Tape tape, Var x) {
      Var tgt = tape.slice(x, 1, 0, t);
      Var memory = tape.slice(x, 1, t, x.shape(1));
      return layer.forward(tape, tgt, memory, Attention.causalMask(t));
    }
  }

  private static List<GradCheckResult> decoderLayer() {
    TransformerDecoderLayer layer =
        new TransformerDecoderLayer(
            4, 2, 6, 0.2, F64, WeightInit.normal(0.5), new SplittableRandom(501), 502);
    return ModuleChecks.module(
        "transformer_decoder_layer", new DecoderLayerCheck(layer, 3), 503, 2, 3 + 2, 4);
  }

  /** The forward-only loss of a batch, in the model's current mode. */
  private static double lossValue(CaptioningTransformer m, Tensor features, Tensor captions) {
    int t = captions.shape(1);
    Tensor in = captions.slice(1, 0, t - 1).contiguous();
    Tensor out = captions.slice(1, 1, t).contiguous();
    Tensor scores = m.scores(features, in);
    return TemporalSoftmaxLoss.temporalSoftmaxLoss(scores, out, out.ne(m.tokens().nullIdx()))
        .loss();
  }

  private static List<GradCheckResult> captioner() {
    String name = "model_captioning_transformer";
    CaptioningTransformer m =
        new CaptioningTransformer(
            new CaptioningTransformer.Config(
                7, 5, 8, 2, 2, 8, 12, 0.0, F64, 511, SpecialTokens.cs231n()));
    // CS231n's N(0, 0.02^2) init leaves gradients near the round-off floor: redraw every
    // parameter (LayerNorm weights around 1).
    SplittableRandom r = new SplittableRandom(512);
    for (Parameter p : m.parameters()) {
      boolean gamma = p.name().contains("norm_") && p.name().endsWith("weight");
      for (int i = 0; i < p.size(); i++) {
        double z = r.nextGaussian();
        p.value().setFlat(i, gamma ? 1 + 0.2 * z : 0.5 * z);
      }
    }
    Tensor features = CaptioningChecks.normal(513, 1.0, 2, 3, 5); // 3 regions
    Tensor captions = CaptioningChecks.randomCaptions(514, 2, 6, 7);
    m.train();
    Map<String, Tensor> snapshot = copies(m.buffers());
    CaptionDecoder.Loss analytic = m.loss(features, captions);
    List<Tensor> grads = new ArrayList<>();
    for (Parameter p : m.parameters()) {
      grads.add(p.grad().copy());
    }
    Supplier<Double> f =
        () -> {
          restore(m.buffers(), snapshot); // the same dropout masks every time
          return lossValue(m, features, captions);
        };
    List<GradCheckResult> rows = new ArrayList<>();
    rows.add(
        row(
            name,
            "dfeatures",
            CaptioningChecks.fivePoint(f::get, features, H),
            analytic.dfeatures()));
    int i = 0;
    for (Parameter p : m.parameters()) {
      rows.add(
          row(
              name,
              "d" + p.name(),
              CaptioningChecks.fivePoint(f::get, p.value(), H),
              grads.get(i++)));
    }
    restore(m.buffers(), snapshot);
    return rows;
  }

  /**
   * A relative-error row, or for a gradient that vanishes in exact arithmetic (every key
   * projection's bias: a shift of a whole row of scores, which the softmax ignores) the largest
   * absolute difference, labelled "(abs)".
   */
  private static GradCheckResult row(String layer, String input, Tensor numeric, Tensor analytic) {
    boolean vanishes = analytic.abs().max().item() < 1e-12;
    if (vanishes) {
      double worst = numeric.sub(analytic).abs().max().item();
      return new GradCheckResult(layer, input + " (abs)", worst, ModelChecks.TOLERANCE);
    }
    return new GradCheckResult(
        layer, input, GradCheck.relError(numeric, analytic), ModelChecks.TOLERANCE);
  }

  private static Map<String, Tensor> copies(Map<String, Tensor> buffers) {
    Map<String, Tensor> out = new LinkedHashMap<>();
    buffers.forEach((k, v) -> out.put(k, v.copy()));
    return out;
  }

  private static void restore(Map<String, Tensor> buffers, Map<String, Tensor> snapshot) {
    buffers.forEach((k, v) -> v.copyFrom(snapshot.get(k)));
  }
}
