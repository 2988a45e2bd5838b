package org.handgrad.app.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.handgrad.data.SyntheticShapes;
import org.handgrad.io.Json;
import org.handgrad.nn.Model;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

class RunSpecTest {
  private static RunSpec spec(AugmentedModel.Recipe augment) {
    Tensor x = Tensor.of(new float[] {0, 1, 2, 3, 4, 5, 6, 7}, 2, 1, 2, 2);
    return new RunSpec(
        "two-layer",
        Map.of("input_shape", "1,2,2", "num_classes", "3", "hidden_dim", "5", "dtype", "float32"),
        "mnist",
        "shapes",
        new SyntheticShapes.Config(10, 5, 1, 28, 0),
        8,
        2,
        List.of("a", "b", "c"),
        new int[] {1, 2, 2},
        DType.FLOAT32,
        Preprocessing.fit(Preprocessing.Kind.MEAN_IMAGE, x),
        augment,
        42);
  }

  @Test
  void survivesAJsonRoundTripAndRebuildsTheModel() {
    for (AugmentedModel.Recipe a :
        new AugmentedModel.Recipe[] {null, new AugmentedModel.Recipe(1, true)}) {
      RunSpec s = spec(a);
      RunSpec back = RunSpec.fromMap((Map<?, ?>) Json.parse(Json.write(s.toMap())));
      assertEquals(s.toMap(), back.toMap());
      assertArrayEquals(s.inputShape(), back.inputShape());
      assertEquals(s.shapes(), back.shapes());
      Model m = back.buildModel();
      assertEquals(a != null, m instanceof AugmentedModel);
      assertEquals(
          List.of(3, 5, 3),
          List.of(
              m.loss(Tensor.zeros(DType.FLOAT32, 3, 1, 2, 2)).shape(0),
              RunSpec.unwrap(m).parameters().get(0).shape()[1],
              m.loss(Tensor.zeros(DType.FLOAT32, 1, 1, 2, 2)).shape(1)));
    }
    assertTrue(
        spec(null)
            .describe()
            .contains("shapes (standing in for mnist) (1, 2, 2), 8 train / 2 val"));
  }

  @Test
  void missingKeysAreNamed() {
    Map<?, ?> m = (Map<?, ?>) Json.parse("{\"model\": \"svm\"}");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> RunSpec.fromMap(m));
    assertTrue(e.getMessage().contains("missing 'data'"), e.getMessage());
  }
}
