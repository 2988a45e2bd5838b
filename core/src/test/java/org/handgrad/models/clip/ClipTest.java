package org.handgrad.models.clip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.handgrad.data.caption.SyntheticCaptions;
import org.handgrad.data.caption.Vocab;
import org.handgrad.io.Safetensors;
import org.handgrad.models.vit.VisionTransformer;
import org.handgrad.nn.GradCheck;
import org.handgrad.nn.Parameter;
import org.handgrad.nn.functional.ClipLoss;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Rng;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLIP model as a whole: a float64 gradient check through both encoders and the loss, the text
 * feature's independence from padding, a few training steps lowering the loss on shapes, zero-shot
 * and retrieval on hand-built embeddings, prompts, and checkpoint round trips.
 */
class ClipTest {
  private static final Vocab VOCAB = SyntheticCaptions.vocab();

  static ClipConfig tiny(DType dt) {
    return new ClipConfig(
        3,
        24,
        12,
        8,
        1,
        2,
        8,
        1,
        2,
        SyntheticCaptions.CAPTION_LENGTH,
        VOCAB.size(),
        VOCAB.endIndex(),
        6,
        dt,
        3);
  }

  /** {@link #tiny} at float32 with the conv stem (patch 8: three stride-2 convolutions). */
  static ClipConfig tinyConvStem() {
    ClipConfig p = tiny(DType.FLOAT32);
    return new ClipConfig(
        p.channels(),
        p.imageSize(),
        8,
        p.visionDim(),
        p.visionDepth(),
        p.visionHeads(),
        p.textDim(),
        p.textDepth(),
        p.textHeads(),
        p.contextLength(),
        p.vocabSize(),
        p.endToken(),
        p.embedDim(),
        p.dtype(),
        p.seed(),
        VisionTransformer.Stem.CONV);
  }

  private static ClipPairs shapes(int n, long seed) {
    return ClipData.shapes(
        new SyntheticCaptions.Config(n, 0, 0, 24, true, seed), SyntheticCaptions.SplitKind.TRAIN);
  }

  @Test
  void float64GradientsOfTheWholeModelMatchCenteredDifferences() {
    Clip model = new Clip(tiny(DType.FLOAT64));
    // Perturb the small init (std 0.02) so every gradient is far above the centered differences'
    // round-off (about 1e-10 here); otherwise near-uniform attention leaves gradients of 1e-6.
    Rng r = new Rng(8);
    for (Parameter p : model.parameters()) {
      p.value().addi(r.normal(DType.FLOAT64, 0, 0.3, p.shape()));
    }
    ClipPairs.Batch b = shapes(3, 1).sample(3, new Rng(2));
    Tensor x = b.images().to(DType.FLOAT64);
    model.trainStep(x, b.tokens());
    int checked = 0;
    for (Parameter p : model.parameters()) {
      Tensor analytic = p.grad().copy();
      if (p.name().endsWith("self_attn.key.bias")) {
        // Zero in exact arithmetic: q . bk shifts a whole row of scores, which softmax ignores.
        assertTrue(analytic.abs().max().item() < 1e-12, p.name() + " " + analytic);
        checked++;
        continue;
      }
      // Four coordinates per parameter by the five-point stencil (truncation O(h^4)).
      Rng pick = new Rng(17 + checked);
      for (int c = 0; c < 4; c++) {
        int i = pick.nextInt(0, p.size());
        double numeric = fivePoint(() -> model.loss(x, b.tokens()), p.value(), i, 1e-4);
        double err = GradCheck.relError(numeric, analytic.getFlat(i));
        assertTrue(err < 1e-7, p.name() + "[" + i + "]: " + analytic.getFlat(i) + " vs " + numeric);
      }
      checked++;
    }
    assertTrue(checked > 30, "parameters checked: " + checked);
    // logit_scale has a real gradient (not clamped at init).
    assertTrue(Math.abs(model.logitScale().grad().getFlat(0)) > 1e-6);
  }

  @Test
  void float64GradientsWithTheResNetImageEncoderMatchCenteredDifferences() {
    // BatchNorm normalizes with the batch's statistics in training mode, so the numeric side
    // evaluates the training-mode loss too (trainStep), at the unperturbed gradients copied first.
    // Gaussian images rather than rendered shapes: a flat background puts whole regions of ReLU
    // inputs at one value, and a step across that kink moves the loss by far more than O(h^4).
    Clip model = new Clip(tiny(DType.FLOAT64).withResnetWidths(4, 6));
    assertTrue(model.visual() instanceof ResNetImageEncoder);
    Rng r = new Rng(9);
    for (Parameter p : model.parameters()) {
      p.value().addi(r.normal(DType.FLOAT64, 0, 0.3, p.shape()));
    }
    ClipPairs.Batch b = shapes(4, 1).sample(4, new Rng(3));
    Tensor x = new Rng(4).randn(DType.FLOAT64, b.images().shape());
    model.trainStep(x, b.tokens());
    List<Parameter> params = model.parameters();
    List<Tensor> analytic = new ArrayList<>();
    for (Parameter p : params) {
      analytic.add(p.grad().copy());
    }
    int checked = 0;
    for (int k = 0; k < params.size(); k++) {
      Parameter p = params.get(k);
      if (!p.name().startsWith("visual.")) {
        continue; // the text side is checked with the ViT model above
      }
      Rng pick = new Rng(31 + k);
      for (int c = 0; c < 3; c++) {
        int i = pick.nextInt(0, p.size());
        double numeric = fivePoint(() -> model.trainStep(x, b.tokens()).loss(), p.value(), i, 1e-5);
        double a = analytic.get(k).getFlat(i);
        double err = GradCheck.relError(numeric, a);
        assertTrue(err < 1e-7, p.name() + "[" + i + "]: " + a + " vs " + numeric);
      }
      checked++;
    }
    assertTrue(checked >= 20, "visual parameters checked: " + checked);
  }

  @Test
  void aResNetModelTrainsAndItsConfigAndCheckpointRoundTrip(@TempDir Path dir) throws Exception {
    ClipConfig config = tiny(DType.FLOAT32).withResnetWidths(8, 16);
    assertArrayEquals(new int[] {8, 16}, config.resnetWidths());
    assertEquals(config, ClipConfig.fromMap(config.toMap()));
    assertEquals("resnet", config.toMap().get("image_encoder"));
    Map<String, Object> old = new java.util.LinkedHashMap<>(tiny(DType.FLOAT32).toMap());
    old.remove("image_encoder");
    old.remove("resnet_widths");
    assertEquals(tiny(DType.FLOAT32), ClipConfig.fromMap(old));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> config.withResnetWidths(8, 0));
    assertEquals("clip: resnet_widths must be >= 1, got [8, 0]", e.getMessage());
    // The patch belongs to the ViT: a ResNet model of 28x28 images keeps the default patch 8.
    java.util.function.Function<int[], ClipConfig> at28 =
        widths ->
            new ClipConfig(
                1,
                28,
                8,
                8,
                1,
                2,
                8,
                1,
                2,
                16,
                30,
                2,
                6,
                DType.FLOAT32,
                0,
                VisionTransformer.Stem.PATCH,
                widths);
    e = assertThrows(IllegalArgumentException.class, () -> at28.apply(new int[0]));
    assertEquals("clip: image_size 28 is not divisible by the patch size 8", e.getMessage());
    assertEquals(28, at28.apply(new int[] {4}).imageSize());

    Clip model = new Clip(config);
    ClipPairs.Batch fixed = trainFortyStepsLowersTheEvalLoss(model).save(dir);
    Clip loaded = ClipTrainer.load(dir).model();
    assertEquals(config, loaded.config());
    assertArrayEquals(
        model.encodeImages(fixed.images()).toFloatArray(),
        loaded.encodeImages(fixed.images()).toFloatArray());
  }

  private static double fivePoint(java.util.function.DoubleSupplier f, Tensor x, int i, double h) {
    double old = x.getFlat(i);
    double[] at = new double[4];
    double[] steps = {2 * h, h, -h, -2 * h};
    for (int s = 0; s < 4; s++) {
      x.setFlat(i, old + steps[s]);
      at[s] = f.getAsDouble();
    }
    x.setFlat(i, old);
    return (8 * (at[1] - at[2]) - (at[0] - at[3])) / (12 * h);
  }

  @Test
  void theTextFeatureIgnoresThePaddingAfterEnd() {
    Clip model = new Clip(tiny(DType.FLOAT64));
    Tensor tokens = VOCAB.encodeAll(List.of("a small red circle on the left"), 14);
    Tensor a = model.encodeTexts(tokens);
    Tensor other = tokens.copy();
    for (int t = 9; t < 14; t++) {
      other.set(VOCAB.index("blue"), 0, t); // garbage after <END> (position 8)
    }
    Tensor b = model.encodeTexts(other);
    assertEquals(0.0, a.sub(b).abs().max().item(), 1e-12);
    Tensor changed = VOCAB.encodeAll(List.of("a small red square on the left"), 14);
    assertTrue(a.sub(model.encodeTexts(changed)).abs().max().item() > 1e-6);
  }

  @Test
  void aFewStepsOnShapesLowerTheLoss() {
    ClipPairs data = shapes(64, 5);
    Clip model = new Clip(tiny(DType.FLOAT32));
    ClipTrainer tr =
        new ClipTrainer(model, VOCAB, new ClipTrainer.Options(40, 16, 3e-3, 0.05, 4, 9), Map.of());
    ClipPairs.Batch fixed = data.sample(16, new Rng(123));
    double before = model.loss(fixed.images(), fixed.tokens());
    for (int i = 0; i < 40; i++) {
      tr.step(data);
    }
    double after = model.loss(fixed.images(), fixed.tokens());
    assertTrue(after < before - 0.3, "loss " + before + " -> " + after);
    assertEquals(40, tr.iteration());
  }

  @Test
  void zeroShotPicksTheMostSimilarEnsembledClass() {
    // Two classes, two templates each; prompt embeddings class-major.
    Tensor prompts =
        ClipLoss.l2NormalizeForward(
                Tensor.of(new double[] {1, 0.2, 0, 1, -0.2, 0, 0, 1, 0.1, 0, 1, -0.1}, 4, 3))
            .out();
    Tensor classes = ZeroShot.ensemble(prompts, 2, 2);
    assertEquals(1.0, classes.get(0, 0), 1e-12); // the +-0.2 cancel
    assertEquals(1.0, classes.get(1, 1), 1e-12);
    Tensor images = Tensor.of(new double[] {5, 1, 0, 0.1, 3, 0, 1, 1.1, 7}, 3, 3);
    assertArrayEquals(new int[] {0, 1, 1}, ZeroShot.predict(images, classes));
    assertEquals(2.0 / 3, ZeroShot.accuracy(new int[] {0, 1, 1}, new int[] {0, 0, 1}), 1e-15);
    assertEquals(1.0, ZeroShot.accuracy(new int[] {0, 1, 1}, new int[] {0, -1, 1}), 1e-15);
  }

  @Test
  void recallCountsTheRankOfTheRightImage() {
    // 3 queries x 4 images.
    Tensor sim =
        Tensor.of(new double[] {0.9, 0.1, 0.2, 0.3, 0.5, 0.4, 0.8, 0.7, 0.0, 0.1, 0.2, 0.3}, 3, 4);
    int[] targets = {0, 1, 2};
    assertEquals(1.0 / 3, Retrieval.recallAtK(sim, targets, 1), 1e-15); // only query 0
    assertEquals(2.0 / 3, Retrieval.recallAtK(sim, targets, 2), 1e-15); // query 2 ranks 2nd
    assertEquals(2.0 / 3, Retrieval.recallAtK(sim, targets, 3), 1e-15); // query 1 ranks 4th
    assertEquals(1.0, Retrieval.recallAtK(sim, targets, 4), 1e-15);
    assertArrayEquals(new int[] {2, 3, 0}, Retrieval.topK(sim, 1, 3));
    assertThrows(IllegalArgumentException.class, () -> Retrieval.topK(sim, 0, 5));
  }

  @Test
  void promptsWithUnknownWordsNameThem() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Prompts.encode(VOCAB, List.of("a red zebra", "a photo of a circle"), 14));
    assertTrue(e.getMessage().contains("never saw tokens for [zebra, photo]"), e.getMessage());
    Tensor ok = Prompts.encode(VOCAB, List.of("a red circle"), 14);
    assertEquals(VOCAB.endIndex(), (int) ok.get(0, 4));
    assertThrows(IllegalArgumentException.class, () -> Prompts.fill("a photo", "cat"));
    Clip model = new Clip(tiny(DType.FLOAT32));
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ZeroShot.classEmbeddings(model, VOCAB, List.of("red circle"), List.of("a {}")));
    assertTrue(e.getMessage().contains("at least 2 labels"), e.getMessage());
  }

  @Test
  void fashionDescriptionsUseTheirOwnVocabulary() {
    Vocab v = ClipData.fashionVocab(org.handgrad.data.Mnist.FASHION);
    assertTrue(v.contains("t-shirt/top") && v.contains("ankle") && v.contains("boot"));
    org.handgrad.data.Split split =
        new org.handgrad.data.Split(
            Tensor.zeros(DType.FLOAT32, 3, 1, 28, 28),
            new int[] {9, 0, 9},
            org.handgrad.data.Mnist.FASHION);
    ClipPairs p = ClipData.fashion(split, v);
    assertEquals(ClipData.FASHION_TEMPLATES.size(), p.captionsOfImage()[0].length);
    assertArrayEquals(p.captionsOfImage()[0], p.captionsOfImage()[2]);
    assertEquals(
        "a photo of a ankle boot",
        v.decodeCaption(p.captions().select(0, p.captionsOfImage()[0][0]).toIntArray()));
  }

  @Test
  void aResumedRunContinuesExactly(@TempDir Path dir) throws Exception {
    ClipPairs data = shapes(24, 6);
    ClipTrainer.Options o = new ClipTrainer.Options(6, 8, 1e-3, 0.1, 2, 4);
    ClipTrainer straight = new ClipTrainer(new Clip(tiny(DType.FLOAT32)), VOCAB, o, Map.of());
    for (int i = 0; i < 6; i++) {
      straight.step(data);
    }
    ClipTrainer first =
        new ClipTrainer(new Clip(tiny(DType.FLOAT32)), VOCAB, o, Map.of("data", "shapes"));
    for (int i = 0; i < 3; i++) {
      first.step(data);
    }
    first.save(dir);
    ClipTrainer resumed = ClipTrainer.load(dir);
    assertEquals(3, resumed.iteration());
    assertEquals("shapes", resumed.dataInfo().get("data"));
    for (int i = 0; i < 3; i++) {
      resumed.step(data);
    }
    assertEquals(straight.lossHistory(), resumed.lossHistory());
    List<Parameter> a = straight.model().parameters();
    List<Parameter> b = resumed.model().parameters();
    for (int i = 0; i < a.size(); i++) {
      assertEquals(0.0, a.get(i).value().sub(b.get(i).value()).abs().max().item(), a.get(i).name());
    }
  }

  /** A trained model and a fixed batch to evaluate it on. */
  private record Trained(ClipTrainer trainer, ClipPairs.Batch fixed) {
    ClipPairs.Batch save(Path dir) throws java.io.IOException {
      trainer.save(dir);
      return fixed;
    }
  }

  /**
   * 40 steps on 64 shape scenes; the loss in eval mode (running statistics; a fresh model has none
   * to evaluate with) must end well below the first step's, so BatchNorm statistics were kept up to
   * date as the weights moved.
   */
  private static Trained trainFortyStepsLowersTheEvalLoss(Clip model) {
    ClipPairs data = shapes(64, 5);
    ClipTrainer tr =
        new ClipTrainer(model, VOCAB, new ClipTrainer.Options(40, 16, 3e-3, 0.05, 4, 9), Map.of());
    ClipPairs.Batch fixed = data.sample(16, new Rng(123));
    for (int i = 0; i < 40; i++) {
      tr.step(data);
    }
    double before = tr.lossHistory().get(0);
    double after = model.loss(fixed.images(), fixed.tokens());
    assertTrue(after < before - 0.3, "loss " + before + " -> " + after);
    return new Trained(tr, fixed);
  }

  @Test
  void aConvStemModelTrainsAndItsCheckpointKeepsTheBatchNormStatistics(@TempDir Path dir)
      throws Exception {
    ClipConfig conv = tinyConvStem();
    Clip model = new Clip(conv);
    assertTrue(model.buffers().keySet().stream().anyMatch(k -> k.endsWith("running_mean")));
    ClipPairs.Batch fixed = trainFortyStepsLowersTheEvalLoss(model).save(dir);
    ClipTrainer loaded = ClipTrainer.load(dir);
    assertEquals(VisionTransformer.Stem.CONV, loaded.model().config().visionStem());
    Map<String, Tensor> want = model.buffers();
    Map<String, Tensor> got = loaded.model().buffers();
    assertEquals(want.keySet(), got.keySet());
    for (String k : want.keySet()) {
      assertArrayEquals(want.get(k).toDoubleArray(), got.get(k).toDoubleArray(), 0.0, k);
    }
    assertArrayEquals(
        model.encodeImages(fixed.images()).toFloatArray(),
        loaded.model().encodeImages(fixed.images()).toFloatArray());
  }

  @Test
  void checkpointsWithoutBuffersLoadUnlessBatchNormStatisticsAreMissing(@TempDir Path dir)
      throws Exception {
    ClipTrainer.Options o = new ClipTrainer.Options(2, 8, 1e-3, 0.1, 1, 4);
    // A patchify model's only buffers are dropout streams: a checkpoint written before buffers
    // were saved still loads.
    ClipTrainer patch = new ClipTrainer(new Clip(tiny(DType.FLOAT32)), VOCAB, o, Map.of());
    patch.save(dir.resolve("patch"));
    dropBuffers(dir.resolve("patch"), patch.model());
    Clip loaded = ClipTrainer.load(dir.resolve("patch")).model();
    List<Parameter> a = patch.model().parameters();
    List<Parameter> b = loaded.parameters();
    for (int i = 0; i < a.size(); i++) {
      assertArrayEquals(a.get(i).value().toFloatArray(), b.get(i).value().toFloatArray());
    }
    // A conv stem without its running statistics would evaluate wrongly: refused, naming one.
    ClipConfig conv = tinyConvStem();
    ClipTrainer withStem = new ClipTrainer(new Clip(conv), VOCAB, o, Map.of());
    withStem.save(dir.resolve("conv"));
    dropBuffers(dir.resolve("conv"), withStem.model());
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ClipTrainer.load(dir.resolve("conv")));
    assertTrue(
        e.getMessage().contains("has no buffer") && e.getMessage().contains("running_"),
        e.getMessage());
  }

  private static void dropBuffers(Path checkpoint, Clip model) throws Exception {
    Path file = checkpoint.resolve(ClipTrainer.MODEL_FILE);
    Map<String, Tensor> kept = new java.util.LinkedHashMap<>(Safetensors.read(file).tensors());
    assertTrue(kept.keySet().containsAll(model.buffers().keySet()));
    kept.keySet().removeAll(model.buffers().keySet());
    java.nio.file.Files.write(file, Safetensors.toBytes(kept, Map.of()));
  }

  @Test
  void theConvStemNeedsAPowerOfTwoPatchAndOldConfigsArePatchify() {
    ClipConfig p = tiny(DType.FLOAT32);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                new ClipConfig(
                    3,
                    24,
                    12,
                    8,
                    1,
                    2,
                    8,
                    1,
                    2,
                    16,
                    30,
                    2,
                    6,
                    DType.FLOAT32,
                    0,
                    VisionTransformer.Stem.CONV));
    assertTrue(
        e.getMessage().contains("power of two") && e.getMessage().contains("12"), e.getMessage());
    Map<String, Object> old = new java.util.LinkedHashMap<>(p.toMap());
    assertEquals("patch", old.remove("vision_stem"));
    assertEquals(p, ClipConfig.fromMap(old));
  }

  @Test
  void shapeTwinBatchesHoldEveryImageWithItsTwin() {
    SyntheticCaptions.Config c = new SyntheticCaptions.Config(20, 0, 0, 24, true, 4);
    ClipPairs twins = ClipData.shapeTwins(c, SyntheticCaptions.SplitKind.TRAIN);
    assertEquals(40, twins.numImages());
    assertEquals(2, twins.groupSize());
    ClipPairs.Batch b = twins.sample(8, new Rng(3));
    for (int g = 0; g < 8; g += 2) {
      assertEquals(0, b.imageIdxs()[g] % 2);
      assertEquals(b.imageIdxs()[g] + 1, b.imageIdxs()[g + 1]);
    }
    // image 2j is scene j itself
    Tensor plain = ClipData.shapes(c, SyntheticCaptions.SplitKind.TRAIN).images();
    assertArrayEquals(
        plain.select(0, 3).contiguous().toFloatArray(),
        twins.images().select(0, 6).contiguous().toFloatArray());
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> twins.sample(7, new Rng(0)));
    assertTrue(e.getMessage().contains("a multiple of 2"), e.getMessage());
  }

  @Test
  void badBatchesGetClearErrors() {
    Clip model = new Clip(tiny(DType.FLOAT32));
    Tensor img = Tensor.zeros(DType.FLOAT32, 2, 3, 24, 24);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> model.trainStep(img, VOCAB.encodeAll(List.of("a red circle"), 14)));
    assertTrue(e.getMessage().contains("one caption per image"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> model.trainStep(Tensor.zeros(DType.FLOAT32, 2, 1, 24, 24), null));
    assertTrue(e.getMessage().contains("expected images (N, 3, 24, 24)"), e.getMessage());
    assertThrows(
        IllegalArgumentException.class, () -> new ClipTrainer.Options(10, 1, 1e-3, 0, 0, 0));
    e = assertThrows(IllegalArgumentException.class, () -> shapes(4, 1).sample(5, new Rng(0)));
    assertTrue(e.getMessage().contains("batch size must be in [2, 4]"), e.getMessage());
  }
}
