package org.handgrad.models.transfer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.handgrad.io.Safetensors;
import org.handgrad.models.resnet.ResNet;
import org.handgrad.nn.Parameter;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The PyTorch state_dict mapping: round trips through safetensors, and the mismatch errors. */
class TorchStateDictTest {
  static ResNet small(long seed, int... widths) {
    return new ResNet(
        new ResNet.Config(
            new int[] {1, 8, 8},
            ResNet.Stem.CIFAR,
            widths,
            new int[] {1, 1},
            3,
            DType.FLOAT32,
            seed));
  }

  /** A trained-looking model: one training step fills the running statistics. */
  static ResNet trained(long seed, int... widths) {
    ResNet m = small(seed, widths);
    Tensor x = Tensor.zeros(DType.FLOAT32, 4, 1, 8, 8);
    for (int i = 0; i < x.size(); i++) {
      x.setFlat(i, Math.sin(i * 0.37 + seed));
    }
    m.loss(x, new int[] {0, 1, 2, 1});
    return m;
  }

  @Test
  void roundTripThroughSafetensorsIsBitExact() throws IOException {
    ResNet a = trained(1, 4, 6);
    byte[] file = Safetensors.toBytes(TorchStateDict.export(a), Map.of());
    ResNet b = small(2, 4, 6);
    TorchStateDict.load(b, Safetensors.read(file, "a.safetensors").tensors(), "a.safetensors");
    for (Parameter p : a.parameters()) {
      assertArrayEquals(
          p.value().toDoubleArray(), b.parameter(p.name()).value().toDoubleArray(), p.name());
    }
    a.buffers()
        .forEach(
            (k, v) -> assertArrayEquals(v.toDoubleArray(), b.buffers().get(k).toDoubleArray(), k));
    // and back out: the same bytes
    assertArrayEquals(file, Safetensors.toBytes(TorchStateDict.export(b), Map.of()));
  }

  @Test
  void linearWeightsAreTransposedToPyTorchsLayout() {
    ResNet a = small(1, 4, 6);
    Map<String, Tensor> sd = TorchStateDict.export(a);
    Tensor w = a.parameter("fc.weight").value(); // (in, out) = (6, 3)
    assertArrayEquals(new int[] {6, 3}, w.shape());
    assertArrayEquals(new int[] {3, 6}, sd.get("fc.weight").shape());
    assertEquals(w.get(4, 1), sd.get("fc.weight").get(1, 4));
    assertArrayEquals(new int[] {4, 1, 3, 3}, sd.get("conv1.weight").shape()); // conv: as is
    assertTrue(sd.containsKey("layer2.0.downsample.1.running_var"));
    assertEquals(DType.INT32, sd.get("bn1.num_batches_tracked").dtype());
  }

  @Test
  void mismatchesListNamesAndShapesOfBothSides() {
    Map<String, Tensor> sd = new LinkedHashMap<>(TorchStateDict.export(small(1, 4, 8)));
    sd.remove("bn1.bias");
    sd.put("extra.weight", Tensor.zeros(DType.FLOAT32, 2, 2));
    ResNet target = small(2, 4, 6);
    float before = (float) target.parameter("conv1.weight").value().getFlat(0);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> TorchStateDict.load(target, sd, "other.safetensors"));
    String m = e.getMessage();
    assertTrue(m.startsWith("other.safetensors does not match the model:\n"), m);
    assertTrue(m.contains("1 in the model, missing from the file:\n    bn1.bias (4,)"), m);
    assertTrue(m.contains("1 in the file, not in the model:\n    extra.weight (2, 2)"), m);
    assertTrue(
        m.contains(
            "shape differs (PyTorch layout):\n    layer2.0.conv1.weight: model (6, 4, 3, 3),"
                + " file (8, 4, 3, 3)"),
        m);
    assertTrue(m.contains("16 shape differs") && m.endsWith("    ... and 8 more"), m);
    // nothing was copied
    assertEquals(before, (float) target.parameter("conv1.weight").value().getFlat(0));
  }

  @Test
  void longListsAreCut() {
    Map<String, Tensor> sd = new LinkedHashMap<>();
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> TorchStateDict.load(small(1, 4, 6), sd, "empty"));
    long listed =
        Arrays.stream(e.getMessage().split("\n"))
            .filter(l -> l.startsWith("    ") && !l.contains("..."))
            .count();
    assertEquals(TorchStateDict.MAX_LISTED, listed);
    assertTrue(e.getMessage().contains("... and "), e.getMessage());
  }

  @Test
  void skippingTheHeadKeepsTheNewHead() {
    ResNet source = trained(1, 4, 6);
    ResNet target =
        new ResNet(
            new ResNet.Config(
                new int[] {1, 8, 8},
                ResNet.Stem.CIFAR,
                new int[] {4, 6},
                new int[] {1, 1},
                5,
                DType.FLOAT32,
                9));
    double[] head = target.parameter("fc.weight").value().toDoubleArray();
    TorchStateDict.load(target, TorchStateDict.export(source), "source", "fc");
    assertArrayEquals(new int[] {6, 5}, target.parameter("fc.weight").shape());
    assertArrayEquals(head, target.parameter("fc.weight").value().toDoubleArray());
    assertArrayEquals(
        source.parameter("layer2.0.conv2.weight").value().toDoubleArray(),
        target.parameter("layer2.0.conv2.weight").value().toDoubleArray());
  }

  @Test
  void truncatedFileIsAClearError() {
    byte[] file = Safetensors.toBytes(TorchStateDict.export(small(1, 4, 6)), Map.of());
    byte[] cut = Arrays.copyOf(file, file.length - 100);
    IOException e = assertThrows(IOException.class, () -> Safetensors.read(cut, "cut.safetensors"));
    assertTrue(e.getMessage().startsWith("cut.safetensors: "), e.getMessage());
  }
}
