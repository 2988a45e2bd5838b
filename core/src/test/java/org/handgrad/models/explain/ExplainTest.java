package org.handgrad.models.explain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.handgrad.data.Dataset;
import org.handgrad.data.Split;
import org.handgrad.data.SyntheticShapes;
import org.handgrad.models.InputGradients;
import org.handgrad.models.ModelChecks;
import org.handgrad.models.Models;
import org.handgrad.models.cnn.ThreeLayerConvNet;
import org.handgrad.models.linear.LinearClassifier;
import org.handgrad.models.linear.Softmax;
import org.handgrad.models.vit.VisionTransformer;
import org.handgrad.nn.Metrics;
import org.handgrad.nn.Model;
import org.handgrad.nn.Parameter;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Rng;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

class ExplainTest {
  private static final DType F64 = DType.FLOAT64;

  private static ThreeLayerConvNet smallCnn(DType dt, long seed) {
    return new ThreeLayerConvNet(
        new ThreeLayerConvNet.Config(new int[] {1, 16, 16}, 6, 3, 16, 4, 0.1, 0, dt, seed));
  }

  private static ThreeLayerConvNet trained;

  /**
   * A cnn trained for 60 plain SGD steps on 4 classes of the built-in shapes, once per class; tests
   * that change its parameters must restore them.
   */
  private static synchronized ThreeLayerConvNet trainedOnShapes() {
    if (trained == null) {
      trained = train();
    }
    return trained;
  }

  /** The built-in shapes at 16 x 16, generated once (generation has a fixed cost of seconds). */
  private static final Dataset SHAPES =
      SyntheticShapes.generate(new SyntheticShapes.Config(400, 8, 1, 16, 3));

  private static Tensor testImages(int n) {
    return SHAPES.test().x().slice(0, 0, n).contiguous();
  }

  private static ThreeLayerConvNet train() {
    Split train = SHAPES.train();
    ThreeLayerConvNet m = smallCnn(DType.FLOAT32, 1);
    int[] y = train.y().clone();
    for (int i = 0; i < y.length; i++) {
      y[i] %= 4; // four classes are enough and keep the net small
    }
    for (int step = 0; step < 60; step++) {
      int lo = (step * 50) % 400;
      int[] yb = java.util.Arrays.copyOfRange(y, lo, lo + 50);
      m.loss(train.x().slice(0, lo, lo + 50).contiguous(), yb);
      for (Parameter p : m.parameters()) {
        p.value().addScaledi(-0.05, p.grad());
      }
    }
    return m;
  }

  @Test
  void saliencyIsTheChannelMaxOfTheAbsoluteClassScoreGradient() {
    // A linear softmax on (2, 3, 3) images: d s_y / dx = W[:, y], so saliency is max over the two
    // channels of |W[:, y]| laid out as an image, whatever the input.
    LinearClassifier.Config c = new LinearClassifier.Config(18, 4, 0, 1.0, true, F64, 5);
    Softmax m = new Softmax(c);
    Tensor x = ModelChecks.normal(1, 1, 2, 2, 3, 3);
    Tensor s = Saliency.saliencyMaps(m, x, new int[] {3, 1});
    assertArrayEquals(new int[] {2, 3, 3}, s.shape());
    for (int n = 0; n < 2; n++) {
      int y = n == 0 ? 3 : 1;
      for (int p = 0; p < 9; p++) {
        double expected =
            Math.max(Math.abs(m.weights().get(p, y)), Math.abs(m.weights().get(9 + p, y)));
        assertEquals(expected, s.get(n, p / 3, p % 3), 1e-15);
      }
    }
  }

  @Test
  void badInputsGetClearErrors() {
    ThreeLayerConvNet m = smallCnn(F64, 2);
    Tensor x = ModelChecks.normal(1, 1, 1, 1, 16, 16);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> Saliency.saliencyMaps(m, x, new int[] {4}));
    assertTrue(e.getMessage().contains("class index 4 out of range"), e.getMessage());
    assertTrue(e.getMessage().contains("4 classes (0..3)"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Saliency.saliencyMaps(m, Tensor.zeros(F64, 1, 1, 28, 28), new int[] {0}));
    assertTrue(e.getMessage().contains("expected x (N, 1, 16, 16)"), e.getMessage());
    assertTrue(e.getMessage().contains("got (1, 1, 28, 28)"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Saliency.saliencyMaps(m, Tensor.zeros(F64, 1, 256), new int[] {0}));
    assertTrue(e.getMessage().contains("expected float images (N, C, H, W)"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class, () -> GradCam.gradCam(m, x, new int[] {0}, "conv7"));
    assertTrue(e.getMessage().contains("no layer 'conv7'"), e.getMessage());
    assertTrue(e.getMessage().contains("layers: conv1, pool1"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> FoolingImage.make(m, x, -1, FoolingImage.Options.defaults()));
    assertTrue(e.getMessage().contains("class index -1"), e.getMessage());
  }

  @Test
  void foolingImageIsClassifiedAsTheTarget() {
    ThreeLayerConvNet m = trainedOnShapes();
    Split test = SHAPES.test();
    int fooled = 0;
    for (int i = 0; i < 4; i++) {
      Tensor x = test.x().slice(0, i, i + 1).contiguous();
      int predicted = m.predict(x)[0];
      int target = (predicted + 1 + i % 3) % 4;
      FoolingImage.Result r = FoolingImage.make(m, x, target, FoolingImage.Options.defaults());
      assertTrue(r.fooled(), "image " + i + ": still " + r.predicted() + " after " + r.steps());
      assertEquals(target, m.predict(r.image())[0]);
      assertTrue(r.steps() >= 1 && r.steps() <= 100, "steps " + r.steps());
      assertEquals(predicted, m.predict(x)[0], "the input must not change");
      fooled++;
    }
    assertEquals(4, fooled);
  }

  @Test
  void foolingStopsAtMaxStepsWithoutSuccess() {
    ThreeLayerConvNet m = trainedOnShapes();
    Tensor x = testImages(1);
    int target = (m.predict(x)[0] + 1) % 4;
    FoolingImage.Result r = FoolingImage.make(m, x, target, new FoolingImage.Options(1e-6, 3));
    assertEquals(3, r.steps());
    assertTrue(!r.fooled());
  }

  @Test
  void gradCamOfAGlobalAveragePoolingNetIsRectifiedCamOverTheArea() {
    // scores = mean_ij(A) W, so d s_y / d A_k[i, j] = W[k, y] / (h w) and Grad-CAM = ReLU(CAM)/(h
    // w).
    Tensor a = ModelChecks.normal(3, 1, 2, 5, 3, 4);
    Tensor w = ModelChecks.normal(4, 1, 5, 6);
    int[] y = {2, 5};
    Tensor da = Tensor.zeros(F64, 2, 5, 3, 4);
    for (int n = 0; n < 2; n++) {
      for (int k = 0; k < 5; k++) {
        da.select(0, n).select(0, k).fill(w.get(k, y[n]) / 12);
      }
    }
    Tensor gradCam = GradCam.fromActivations(a, da);
    Tensor cam = GradCam.cam(a, w, y);
    assertArrayEquals(new int[] {2, 3, 4}, cam.shape());
    for (int i = 0; i < cam.size(); i++) {
      assertEquals(Math.max(0, cam.getFlat(i)) / 12, gradCam.getFlat(i), 1e-14);
    }
  }

  @Test
  void upsampleKeepsConstantsAndTheSameSize() {
    Tensor m = ModelChecks.normal(5, 1, 2, 4, 4);
    assertArrayEquals(m.toDoubleArray(), GradCam.upsample(m, 4, 4).toDoubleArray(), 0);
    Tensor c = Tensor.full(F64, 0.3, 1, 3, 3);
    for (double v : GradCam.upsample(c, 10, 7).toDoubleArray()) {
      assertEquals(0.3, v, 1e-15);
    }
    Tensor n = GradCam.normalize(m);
    assertEquals(0, n.select(0, 1).min().item(), 0);
    assertEquals(1, n.select(0, 1).max().item(), 1e-6);
  }

  @Test
  void spearmanMatchesScipyWithTies() {
    assertEquals(1, SanityCheck.spearman(new double[] {1, 5, 9}, new double[] {0, 2, 30}), 1e-15);
    assertEquals(-1, SanityCheck.spearman(new double[] {1, 5, 9}, new double[] {3, 2, 1}), 1e-15);
    // scipy.stats.spearmanr([1, 2, 2, 3], [1, 3, 2, 4]) = 0.9486832980505138
    assertEquals(
        0.9486832980505138,
        SanityCheck.spearman(new double[] {1, 2, 2, 3}, new double[] {1, 3, 2, 4}),
        1e-15);
  }

  @Test
  void cascadingRandomizationGoesTopDownAndRestoresTheModel() {
    ThreeLayerConvNet trained = trainedOnShapes();
    ThreeLayerConvNet fresh = smallCnn(DType.FLOAT32, 99);
    List<double[]> before =
        trained.parameters().stream().map(p -> p.value().toDoubleArray()).toList();
    Tensor x = testImages(3);
    int[] y = trained.predict(x);
    List<SanityCheck.Step> steps = SanityCheck.cascadingRandomization(trained, fresh, x, y);
    assertEquals(
        List.of("none", "layer 3", "layer 3, layer 2", "layer 3, layer 2, layer 1"),
        steps.stream().map(SanityCheck.Step::randomized).toList());
    assertEquals(1.0, steps.get(0).meanSpearman(), 1e-12);
    assertArrayEquals(new int[] {3, 16, 16}, steps.get(3).saliency().shape());
    assertNotEquals(1.0, steps.get(3).meanSpearman());
    for (int i = 0; i < before.size(); i++) {
      assertArrayEquals(before.get(i), trained.parameters().get(i).value().toDoubleArray(), 0);
    }
    assertEquals("blocks.2", SanityCheck.layerOf("blocks.2.mlp.fc1.weight"));
    assertEquals("head", SanityCheck.layerOf("head.bias"));
    assertEquals("layer 12", SanityCheck.layerOf("gamma12"));
    Model other = smallCnn(DType.FLOAT32, 3);
    Model wrongShape =
        (Model) Models.create("cnn", Map.of("input_shape", "1,8,8", "num_classes", "4"));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> SanityCheck.cascadingRandomization(other, wrongShape, x, y));
    assertTrue(e.getMessage().contains("does not match"), e.getMessage());
  }

  @Test
  void rollAndBlurBehaveAsTorchAndScipy() {
    Tensor x = ModelChecks.normal(6, 1, 1, 2, 5, 7);
    assertArrayEquals(
        x.toDoubleArray(),
        ClassVisualization.roll(ClassVisualization.roll(x, 2, 3), -2, -3).toDoubleArray(),
        0);
    assertEquals(x.get(0, 1, 0, 0), ClassVisualization.roll(x, 1, 2).get(0, 1, 1, 2));
    assertEquals(x.get(0, 1, 4, 6), ClassVisualization.roll(x, 1, 2).get(0, 1, 0, 1));
    // A centred delta: sigma 0.5 gives the 5-tap kernel exp(-2 i^2) / sum; the centre is k0^2.
    Tensor delta = Tensor.zeros(F64, 1, 1, 7, 7);
    delta.set(1, 0, 0, 3, 3);
    double sum = 1 + 2 * Math.exp(-2) + 2 * Math.exp(-8);
    Tensor b = ClassVisualization.blur(delta, 0.5);
    assertEquals(1 / (sum * sum), b.get(0, 0, 3, 3), 1e-15);
    assertEquals(1, b.sum().item(), 1e-14);
    // Mirrored edges keep a constant image constant.
    for (double v : ClassVisualization.blur(Tensor.full(F64, 2, 1, 1, 4, 4), 0.5).toDoubleArray()) {
      assertEquals(2, v, 1e-14);
    }
  }

  @Test
  void classVisualizationRaisesTheTargetScoreWithinTheRange() {
    ThreeLayerConvNet m = trainedOnShapes();
    int target = 2;
    ClassVisualization.Options o = ClassVisualization.Options.forInput(1, 16, 16);
    assertEquals(1, o.maxJitter());
    assertEquals(25 * Math.sqrt(256 / (3.0 * 224 * 224)), o.learningRate(), 1e-12);
    ClassVisualization.PixelRange range =
        new ClassVisualization.PixelRange(new double[] {-1}, new double[] {2});
    Tensor start = new Rng(7).randn(DType.FLOAT32, 1, 1, 16, 16);
    Tensor img =
        ClassVisualization.create(
            m, target, new int[] {1, 16, 16}, DType.FLOAT32, o, range, new Rng(7));
    assertArrayEquals(new int[] {1, 1, 16, 16}, img.shape());
    assertTrue(img.min().item() >= -1 && img.max().item() <= 2);
    // The weakly trained net's scores are small (the start's target score is about 0.14).
    assertTrue(m.loss(img).get(0, target) > m.loss(start).get(0, target) + 0.3);
    assertEquals(target, Metrics.argmax(m.loss(img))[0]);
  }

  @Test
  void attentionRolloutCoversTheImage() {
    VisionTransformer vit =
        new VisionTransformer(
            new VisionTransformer.Config(new int[] {1, 8, 8}, 4, 8, 2, 2, 16, 3, 0, F64, 1));
    Tensor map = AttentionMap.rollout(vit, ModelChecks.normal(8, 1, 2, 1, 8, 8));
    assertArrayEquals(new int[] {2, 8, 8}, map.shape());
    assertTrue(map.min().item() > 0);
    InputGradients ig = vit;
    assertEquals(3, ig.numClasses());
  }
}
