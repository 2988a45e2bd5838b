package org.handgrad.models.vit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.handgrad.data.Split;
import org.handgrad.data.SyntheticShapes;
import org.handgrad.models.Models;
import org.handgrad.nn.GradCheckResult;
import org.handgrad.nn.Metrics;
import org.handgrad.nn.Parameter;
import org.handgrad.nn.functional.Losses;
import org.handgrad.nn.graph.Tape;
import org.handgrad.nn.graph.Var;
import org.handgrad.optim.Adam;
import org.handgrad.optim.Optimizer;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.handgrad.testing.Fixtures;
import org.handgrad.testing.Golden;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class VisionTransformerTest {
  private static Map<String, Tensor> fixture;

  private static synchronized Tensor fx(String key) {
    if (fixture == null) {
      fixture = Fixtures.load("attention");
    }
    return Fixtures.get(fixture, key);
  }

  /** The fixture's tiny ViT: (1, 8, 8) images, patch 4, dim 8, 2 layers, 2 heads, 3 classes. */
  static VisionTransformer.Config tiny(DType dt) {
    return new VisionTransformer.Config(new int[] {1, 8, 8}, 4, 8, 2, 2, 32, 3, 0.0, dt, 1);
  }

  /**
   * Our parameter names to torch_anchor's ViT state_dict, each with the transform from PyTorch's
   * layout to ours (linear weights transposed; in_proj split into query, key, value rows).
   */
  static Map<String, Tensor> fromTorch(String prefix, VisionTransformer vit) {
    Map<String, Tensor> m = new LinkedHashMap<>();
    UnaryOperator<Tensor> t = w -> w.transpose().contiguous();
    m.put("cls_token", fx(prefix + "cls").reshape(8));
    m.put("pos_embed", fx(prefix + "pos").reshape(5, 8));
    m.put("patch_embed.weight", t.apply(fx(prefix + "p.weight").reshape(8, 16)));
    m.put("patch_embed.bias", fx(prefix + "p.bias"));
    for (int l = 0; l < 2; l++) {
      String ours = "blocks." + l + ".";
      String theirs = prefix + "enc.layers." + l + ".";
      Tensor inW = fx(theirs + "self_attn.in_proj_weight");
      Tensor inB = fx(theirs + "self_attn.in_proj_bias");
      String[] qkv = {"query", "key", "value"};
      for (int i = 0; i < 3; i++) {
        m.put(ours + "self_attn." + qkv[i] + ".weight", t.apply(inW.slice(0, 8 * i, 8 * i + 8)));
        m.put(ours + "self_attn." + qkv[i] + ".bias", inB.slice(0, 8 * i, 8 * i + 8).contiguous());
      }
      m.put(ours + "self_attn.proj.weight", t.apply(fx(theirs + "self_attn.out_proj.weight")));
      m.put(ours + "self_attn.proj.bias", fx(theirs + "self_attn.out_proj.bias"));
      for (String n : new String[] {"norm1", "norm2"}) {
        m.put(ours + n + ".weight", fx(theirs + n + ".weight"));
        m.put(ours + n + ".bias", fx(theirs + n + ".bias"));
      }
      for (String n : new String[] {"linear1", "linear2"}) {
        m.put(ours + "mlp." + n + ".weight", t.apply(fx(theirs + n + ".weight")));
        m.put(ours + "mlp." + n + ".bias", fx(theirs + n + ".bias"));
      }
    }
    m.put("norm.weight", fx(prefix + "n.weight"));
    m.put("norm.bias", fx(prefix + "n.bias"));
    m.put("head.weight", t.apply(fx(prefix + "head.weight")));
    m.put("head.bias", fx(prefix + "head.bias"));
    assertEquals(
        vit.parameters().stream().map(Parameter::name).sorted().toList(),
        m.keySet().stream().sorted().toList());
    return m;
  }

  @ParameterizedTest
  @EnumSource(
      value = DType.class,
      names = {"FLOAT64", "FLOAT32"})
  void matchesTheTorchAnchorViTWithTheSameWeights(DType dt) {
    String tag = dt == DType.FLOAT64 ? "f64" : "f32";
    double tol = dt == DType.FLOAT64 ? 1e-10 : 1e-5;
    VisionTransformer vit = new VisionTransformer(tiny(dt));
    Map<String, Tensor> weights = fromTorch("vit_p_", vit);
    for (Parameter p : vit.parameters()) {
      p.assign(weights.get(p.name()).to(dt));
    }
    int[] y = fx("vit_y").toIntArray();
    vit.train();
    vit.zeroGrad();
    Tape tape = new Tape();
    Var x = tape.input(fx("vit_x").to(dt));
    Var scores = vit.forward(tape, x);
    Losses.Loss loss = Losses.softmaxLoss(scores.value(), y);
    tape.backward(scores, loss.dx());
    String p = "vit_" + tag + "_";
    Golden.assertClose(p + "logits", scores.value(), fx(p + "logits"), tol);
    Golden.assertClose(p + "loss", loss.loss(), fx(p + "loss").item(), tol);
    Golden.assertClose(p + "dx", tape.grad(x), fx(p + "dx"), tol);
    Map<String, Tensor> grads = fromTorch(p + "grad_", vit);
    for (Parameter q : vit.parameters()) {
      Tensor expected = grads.get(q.name());
      if (q.name().endsWith("self_attn.key.bias")) {
        double bound = dt == DType.FLOAT64 ? 1e-13 : 1e-5; // zero by the maths, see the fixture
        for (int i = 0; i < q.size(); i++) {
          assertTrue(Math.abs(q.grad().getFlat(i)) < bound, q.name() + " " + q.grad());
        }
        continue;
      }
      Golden.assertClose(p + "grad " + q.name(), q.grad(), expected, tol);
    }
    // the Model contract: loss(x, y) computes the same loss and gradients
    assertEquals(loss.loss(), vit.loss(fx("vit_x").to(dt), y), dt == DType.FLOAT64 ? 0 : 1e-6);
  }

  @Test
  void theWholeModelPassesTheFloat64GradientCheck() {
    List<GradCheckResult> rows = org.handgrad.models.ModelChecks.checks().get("model_vit").get();
    VisionTransformer.Config c =
        new VisionTransformer.Config(new int[] {2, 4, 4}, 2, 4, 2, 2, 8, 3, 0.2, DType.FLOAT64, 7);
    assertEquals(1 + new VisionTransformer(c).parameters().size(), rows.size());
    for (GradCheckResult r : rows) {
      assertTrue(r.passed(), r.toString());
    }
  }

  @Test
  void theConvStemModelPassesTheFloat64GradientCheck() {
    List<GradCheckResult> rows =
        org.handgrad.models.ModelChecks.checks().get("model_vit_conv_stem").get();
    // dx and every parameter, the two stem convs and their BatchNorms among them
    List<String> names = rows.stream().map(GradCheckResult::input).toList();
    assertEquals("dx", names.get(0));
    assertTrue(
        names.containsAll(
            List.of(
                "dstem.0.weight",
                "dstem.1.weight",
                "dstem.1.bias",
                "dstem.3.weight",
                "dstem.4.weight",
                "dstem.4.bias",
                "dpatch_embed.weight")),
        names.toString());
    assertEquals(1 + 30, rows.size());
    for (GradCheckResult r : rows) {
      assertTrue(r.passed(), r.toString());
    }
  }

  @Test
  void theConvStemKeepsThePatchGridAndItsParameterNames() {
    VisionTransformer vit =
        (VisionTransformer)
            Models.create(
                "vit",
                Map.of("patch", "4", "dim", "32", "depth", "1", "heads", "2", "stem", "conv"));
    assertEquals(VisionTransformer.Stem.CONV, vit.config().stem());
    vit.loss(Tensor.zeros(DType.FLOAT32, 2, 1, 28, 28), new int[] {0, 1}); // BatchNorm statistics
    // 28 -> 14 -> 7: the 7x7 grid of patch 4, so the positional table has 49 + 1 rows
    assertEquals(50, vit.parameter("pos_embed").shape()[0]);
    assertEquals(List.of(16, 1, 3, 3), List.of(box(vit.parameter("stem.0.weight").shape())));
    assertEquals(List.of(32, 16, 3, 3), List.of(box(vit.parameter("stem.3.weight").shape())));
    assertEquals(List.of(32, 32), List.of(box(vit.parameter("patch_embed.weight").shape())));
    Tensor scores = vit.loss(Tensor.zeros(DType.FLOAT32, 2, 1, 28, 28));
    assertEquals(List.of(2, 10), List.of(box(scores.shape())));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> vit.loss(Tensor.zeros(DType.FLOAT32, 2, 1, 30, 30)));
    assertEquals(
        "vit: image size 30x30 is not divisible by the patch size 4 (the conv stem's total stride)",
        e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Models.create("vit", Map.of("patch", "7", "stem", "conv")));
    assertEquals(
        "vit: stem=conv downsamples by 2 per convolution, so the patch must be a power of two (2,"
            + " 4, 8, ...), got 7",
        e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class, () -> Models.create("vit", Map.of("stem", "convs")));
    assertEquals("vit: stem must be patch or conv, got 'convs'", e.getMessage());
  }

  private static Integer[] box(int[] a) {
    return java.util.Arrays.stream(a).boxed().toArray(Integer[]::new);
  }

  /** CS231n's sanity check: a model that can learn overfits one small batch. */
  @Test
  void overfitsOneBatchOf64Images() {
    Split data = SyntheticShapes.generateSplit(64, 1, 28, 3, 0);
    VisionTransformer vit =
        (VisionTransformer)
            Models.create(
                "vit",
                Map.of(
                    "input_shape", "1,28,28",
                    "patch", "7",
                    "dim", "32",
                    "depth", "2",
                    "heads", "2"));
    Tensor x = data.x();
    int[] y = data.y();
    Optimizer opt = new Optimizer(new Adam().withLearningRate(3e-3));
    double acc = 0;
    for (int it = 0; it < 150 && acc < 1; it++) {
      vit.loss(x, y);
      opt.step(vit.parameters());
      acc = Metrics.accuracy(y, Metrics.argmax(vit.loss(x)));
    }
    assertEquals(1.0, acc, "training accuracy on the batch");
  }

  @Test
  void badConfigurationsNameTheProblem() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Models.create("vit", Map.of("input_shape", "1,28,28", "patch", "5")));
    assertEquals("vit: image size 28x28 is not divisible by the patch size 5", e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Models.create("vit", Map.of("dim", "30", "heads", "4")));
    assertEquals("vit: dim=30 is not divisible by heads=4", e.getMessage());
    VisionTransformer vit = new VisionTransformer(tiny(DType.FLOAT32));
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> vit.loss(Tensor.zeros(DType.FLOAT32, 2, 1, 10, 10)));
    assertEquals(
        "patch_embedding: image size 10x10 is not divisible by the patch size 4 (x (2, 1, 10, 10))",
        e.getMessage());
  }
}
