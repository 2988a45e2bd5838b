package org.handgrad.models.resnet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.handgrad.models.Models;
import org.handgrad.models.transfer.TorchStateDict;
import org.handgrad.nn.Parameter;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.handgrad.testing.Fixtures;
import org.junit.jupiter.api.Test;

/**
 * The ResNets against PyTorch (scripts/fixtures/resnet.py): torchvision's resnet18 with the formula
 * weights of {@link TorchFormula}, and a narrow small ResNet forward and backward at float64. The
 * whole small ResNet is gradient-checked in {@code ModelChecksTest} ("model_resnet_small").
 */
class ResNetTest {
  private static final Map<String, Tensor> FIXTURES = Fixtures.load("resnet");

  private static Tensor fx(String key) {
    return Fixtures.get(FIXTURES, key);
  }

  /** max|a - b| / max|b|. */
  private static double maxRel(Tensor actual, Tensor expected) {
    assertArrayEquals(expected.shape(), actual.shape(), "shape");
    double diff = 0, scale = 0;
    for (int i = 0; i < expected.size(); i++) {
      diff = Math.max(diff, Math.abs(actual.getFlat(i) - expected.getFlat(i)));
      scale = Math.max(scale, Math.abs(expected.getFlat(i)));
    }
    return diff / scale;
  }

  /** ResNet-18 for 64x64 images, built once (11.7M parameters take a while to draw). */
  private static final ResNet RESNET18 =
      (ResNet)
          Models.createModel("resnet18", Map.of("input_shape", "3,64,64", "num_classes", "1000"));

  @Test
  void resNet18HasTorchvisionsStateDict() {
    // torchvision's names and shapes, read from the fixture; the model's must be exactly these.
    String names = codes(fx("resnet18_names"));
    Tensor shapes = fx("resnet18_shapes");
    Map<String, int[]> torch = new LinkedHashMap<>();
    int at = 0;
    for (String name : names.split("\n")) {
      int nd = (int) shapes.getFlat(at++);
      int[] s = new int[nd];
      for (int d = 0; d < nd; d++) {
        s[d] = (int) shapes.getFlat(at++);
      }
      torch.put(name, s);
    }
    assertEquals(shapes.size(), at);
    Map<String, int[]> ours = TorchStateDict.expectedShapes(RESNET18);
    assertEquals(torch.keySet(), ours.keySet());
    torch.forEach((k, s) -> assertArrayEquals(s, ours.get(k), k));
    assertEquals(11_689_512L, RESNET18.parameterCount()); // torchvision's count
  }

  @Test
  void resNet18GivesTorchvisionsLogits() {
    ResNet net = RESNET18;
    Map<String, Tensor> weights = TorchFormula.weights(TorchStateDict.expectedShapes(net));
    // The Java formula is the script's, value for value (float32 bits).
    assertArrayEquals(
        fx("resnet18_formula_conv1").toDoubleArray(),
        head(weights.get("conv1.weight"), 16).toDoubleArray());
    assertArrayEquals(
        fx("resnet18_formula_fc").toDoubleArray(),
        head(weights.get("fc.weight"), 16).toDoubleArray());
    assertArrayEquals(
        fx("resnet18_formula_var").toDoubleArray(),
        head(weights.get("layer4.1.bn2.running_var"), 16).toDoubleArray());
    TorchStateDict.load(net, weights, "formula");
    Tensor scores = net.loss(fx("resnet18_x"));
    double r = maxRel(scores, fx("resnet18_scores"));
    assertTrue(r < 1e-4, "resnet18 logits: max rel error " + r);
  }

  @Test
  void smallResNetMatchesPyTorchForwardAndBackward() {
    ResNet net =
        new ResNet(
            new ResNet.Config(
                new int[] {2, 10, 10},
                ResNet.Stem.CIFAR,
                new int[] {3, 4, 5},
                new int[] {2, 1, 1},
                4,
                DType.FLOAT64,
                1));
    Map<String, Tensor> state = new LinkedHashMap<>();
    for (String k : FIXTURES.keySet()) {
      if (k.startsWith("p.small.") || k.startsWith("b.small.")) {
        state.put(k.substring("p.small.".length()), fx(k));
      }
    }
    TorchStateDict.load(net, state, "fixture");
    Tensor x = fx("small_x");
    int[] y = new int[3];
    for (int i = 0; i < 3; i++) {
      y[i] = (int) fx("small_y").getFlat(i);
    }
    assertTrue(maxRel(net.loss(x), fx("small_eval_scores")) < 1e-10, "eval scores");
    double loss = net.loss(x, y);
    assertEquals(fx("small_train_loss").getFlat(0), loss, 1e-10);
    for (Parameter p : net.parameters()) {
      Tensor g = p.name().equals("fc.weight") ? p.grad().transpose().copy() : p.grad();
      double r = maxRel(g, fx("g.small." + p.name()));
      assertTrue(r < 1e-9, "d" + p.name() + ": max rel error " + r);
    }
  }

  @Test
  void registryBuildsResNet20AndChecksConfigs() {
    ResNet r20 = (ResNet) Models.createModel("resnet-small", Map.of("blocks", "3", "dtype", "f64"));
    assertArrayEquals(new int[] {3, 3, 3}, r20.config().blocks());
    long convs =
        r20.parameters().stream()
            .filter(p -> p.value().ndim() == 4 && !p.name().contains("downsample"))
            .count();
    assertEquals(19, convs); // + fc = 20 weighted layers: ResNet-20 (He et al. 2016, 4.2)
    Tensor x = ResNetTesting.normal(DType.FLOAT64, 2, 1, 28, 28);
    r20.loss(x, new int[] {3, 7}); // training mode first: then running statistics exist
    assertArrayEquals(new int[] {2, 10}, r20.loss(x).shape());
    var cifar = Models.createModel("resnet-small", Map.of("input_shape", "3,32,32"));
    cifar.loss(ResNetTesting.normal(DType.FLOAT32, 2, 3, 32, 32), new int[] {1, 2});
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Models.create("resnet-small", Map.of("widths", "8,16", "blocks", "1,1,1")));
    assertEquals(
        "resnet: widths and blocks must be non-empty and of equal length, got widths [8, 16],"
            + " blocks [1, 1, 1]",
        e.getMessage());
    ResNet small = (ResNet) Models.createModel("resnet-small", Map.of());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> small.loss(Tensor.zeros(DType.FLOAT32, 2, 3, 28, 28)));
    assertEquals("resnet: expected images (N, 1, H, W), got [2, 3, 28, 28]", e.getMessage());
  }

  private static Tensor head(Tensor t, int n) {
    return t.reshape(t.size()).slice(0, 0, n).copy();
  }

  private static String codes(Tensor t) {
    byte[] b = new byte[t.size()];
    for (int i = 0; i < b.length; i++) {
      b[i] = (byte) t.getFlat(i);
    }
    return new String(b, StandardCharsets.UTF_8);
  }
}
