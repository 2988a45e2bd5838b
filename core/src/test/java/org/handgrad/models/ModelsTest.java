package org.handgrad.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.handgrad.models.cnn.BnConvNet;
import org.handgrad.models.cnn.ThreeLayerConvNet;
import org.handgrad.models.fc.FullyConnectedNet;
import org.handgrad.models.fc.Normalization;
import org.handgrad.models.fc.TwoLayerNet;
import org.handgrad.models.knn.KNearestNeighbor;
import org.handgrad.models.linear.LinearSvm;
import org.handgrad.models.linear.Softmax;
import org.handgrad.nn.Model;
import org.handgrad.tensor.DType;
import org.junit.jupiter.api.Test;

class ModelsTest {
  private static final Map<String, String> FASHION =
      Map.of("input_shape", "1,28,28", "num_classes", "10");

  @Test
  void knownNames() {
    assertEquals(
        List.of(
            "knn",
            "svm",
            "softmax",
            "two-layer",
            "fc",
            "cnn",
            "bn-cnn",
            "vit",
            "resnet18",
            "resnet-small",
            "speedrun"),
        Models.names());
    for (String name : Models.names()) {
      assertTrue(!Models.description(name).isBlank());
      assertTrue(Models.keys(name).containsAll(List.of("input_shape", "dtype", "seed")));
    }
  }

  @Test
  void buildsEveryModelForFashionMnist() {
    assertInstanceOf(KNearestNeighbor.class, Models.create("knn", Map.of("k", "5")));
    assertEquals(5, ((KNearestNeighbor) Models.create("knn", Map.of("k", "5"))).k());
    LinearSvm svm = (LinearSvm) Models.create("svm", FASHION);
    assertArrayEquals(new int[] {785, 10}, svm.weights().shape()); // implicit bias row
    Softmax softmax = (Softmax) Models.createModel("softmax", Map.of("input_shape", "784"));
    assertArrayEquals(new int[] {785, 10}, softmax.weights().shape());
    TwoLayerNet two =
        (TwoLayerNet)
            Models.createModel("two-layer", Map.of("input_shape", "784", "hidden_dim", "50"));
    assertEquals(784, two.config().inputDim());
    assertEquals(50, two.config().hiddenDim());
    FullyConnectedNet fc =
        (FullyConnectedNet)
            Models.createModel(
                "fc",
                Map.of(
                    "input_shape", "1,28,28",
                    "hidden_dims", "64,32",
                    "normalization", "batchnorm",
                    "dropout", "0.75",
                    "reg", "1e-3",
                    "dtype", "float64",
                    "seed", "9"));
    FullyConnectedNet.Config c = fc.config();
    assertArrayEquals(new int[] {64, 32}, c.hiddenDims());
    assertEquals(784, c.inputDim());
    assertEquals(Normalization.BATCHNORM, c.normalization());
    assertEquals(0.75, c.dropoutKeepRatio());
    assertEquals(1e-3, c.reg());
    assertEquals(DType.FLOAT64, c.dtype());
    assertEquals(9, c.seed());
    ThreeLayerConvNet cnn = (ThreeLayerConvNet) Models.createModel("cnn", FASHION);
    assertArrayEquals(new int[] {1, 28, 28}, cnn.config().inputDim());
    assertEquals(32, cnn.config().numFilters());
    BnConvNet bn = (BnConvNet) Models.createModel("bn-cnn", Map.of("widths", "16,32"));
    assertArrayEquals(new int[] {16, 32}, bn.config().widths());
    assertArrayEquals(new int[] {1, 28, 28}, bn.config().inputDim());
  }

  @Test
  void clearErrors() {
    IllegalArgumentException name =
        assertThrows(IllegalArgumentException.class, () -> Models.create("resnet", Map.of()));
    assertTrue(
        name.getMessage().contains("unknown model 'resnet'")
            && name.getMessage().contains("knn, svm, softmax, two-layer, fc, cnn, bn-cnn"),
        name.getMessage());
    IllegalArgumentException key =
        assertThrows(
            IllegalArgumentException.class, () -> Models.create("fc", Map.of("hiden_dims", "5")));
    assertTrue(
        key.getMessage().contains("[hiden_dims]") && key.getMessage().contains("hidden_dims"),
        key.getMessage());
    IllegalArgumentException value =
        assertThrows(
            IllegalArgumentException.class, () -> Models.create("svm", Map.of("reg", "lots")));
    assertTrue(value.getMessage().contains("reg must be a number"), value.getMessage());
    IllegalArgumentException dtype =
        assertThrows(
            IllegalArgumentException.class, () -> Models.create("cnn", Map.of("dtype", "int32")));
    assertTrue(dtype.getMessage().contains("float32 or float64"), dtype.getMessage());
    IllegalArgumentException knn =
        assertThrows(IllegalArgumentException.class, () -> Models.createModel("knn", Map.of()));
    assertTrue(knn.getMessage().contains("not trained by gradient descent"), knn.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> Models.create("fc", Map.of("normalization", "groupnorm")));
    Model m = Models.createModel("softmax", Map.of("input_shape", "4", "num_classes", "3"));
    assertEquals(1, m.parameters().size());
  }
}
