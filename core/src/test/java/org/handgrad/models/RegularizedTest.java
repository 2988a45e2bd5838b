package org.handgrad.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.DoubleFunction;
import org.handgrad.models.cnn.BnConvNet;
import org.handgrad.models.cnn.ThreeLayerConvNet;
import org.handgrad.models.fc.FullyConnectedNet;
import org.handgrad.models.fc.Normalization;
import org.handgrad.models.fc.TwoLayerNet;
import org.handgrad.models.linear.LinearClassifier;
import org.handgrad.models.linear.Softmax;
import org.handgrad.nn.Model;
import org.handgrad.nn.Parameter;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * CS231n's notebook moves, {@code model.reg = 0.7} and {@code model.params['W1'] = ...}, on every
 * model family that has a {@code reg}: after setReg the model computes exactly what a model built
 * with that reg computes, and its parameters are the same objects.
 */
class RegularizedTest {
  private static final DType F64 = DType.FLOAT64;

  /** A model of the family with the given reg; same seed, so the same initial parameters. */
  private static DoubleFunction<Model> family(String name) {
    return switch (name) {
      case "softmax" ->
          reg -> new Softmax(new LinearClassifier.Config(12, 3, reg, 1e-1, true, F64, 4));
      case "two-layer" ->
          reg -> new TwoLayerNet(new TwoLayerNet.Config(12, 5, 3, 1e-1, reg, F64, 4));
      case "fc" ->
          reg ->
              new FullyConnectedNet(
                  new FullyConnectedNet.Config(
                      new int[] {5, 4}, 12, 3, 1.0, Normalization.BATCHNORM, reg, 1e-1, F64, 4));
      case "three-layer" ->
          reg ->
              new ThreeLayerConvNet(
                  new ThreeLayerConvNet.Config(new int[] {3, 2, 2}, 2, 3, 5, 3, 1e-1, reg, F64, 4));
      case "bn-conv" ->
          reg ->
              new BnConvNet(
                  new BnConvNet.Config(
                      new int[] {3, 2, 2}, new int[] {2}, 1, 5, 3, 1.0, reg, F64, 4));
      default -> throw new IllegalArgumentException(name);
    };
  }

  @ParameterizedTest
  @ValueSource(strings = {"softmax", "two-layer", "fc", "three-layer", "bn-conv"})
  void setRegEqualsBuildingWithThatReg(String name) {
    Tensor x = Training.normal(7, F64, 1.0, 4, 3, 2, 2);
    int[] y = {0, 2, 1, 2};
    Model model = family(name).apply(0.0);
    Model built = family(name).apply(0.7);
    Regularized r = (Regularized) model;
    assertEquals(0.0, r.reg());
    List<Parameter> before = model.parameters();
    double unregularized = model.loss(x, y);

    r.setReg(0.7);
    assertEquals(0.7, r.reg());
    double loss = model.loss(x, y);
    assertEquals(built.loss(x, y), loss, 0.0, name);
    assertTrue(loss > unregularized, name + ": the penalty is added");
    for (int i = 0; i < before.size(); i++) {
      assertSame(before.get(i), model.parameters().get(i), name + ": parameters kept");
      assertArrayEquals(
          built.parameters().get(i).grad().toDoubleArray(),
          model.parameters().get(i).grad().toDoubleArray(),
          0.0,
          name + " d" + before.get(i).name());
    }

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> r.setReg(-1));
    assertTrue(e.getMessage().contains("reg must be finite and >= 0"), e.getMessage());
    assertEquals(0.7, r.reg(), "a refused value changes nothing");
  }

  /** {@code model.params['W1'] = w}: look the parameter up by name and assign in place. */
  @Test
  void parameterByNameCanBeAssigned() {
    TwoLayerNet model = new TwoLayerNet(new TwoLayerNet.Config(4, 3, 2, 1e-1, 0.0, F64, 1));
    assertEquals(0.0, model.config().reg());
    model.setReg(0.25);
    assertEquals(0.25, model.config().reg(), "config() reports the new reg (checkpoints save it)");
    Tensor w1 = Tensor.of(new double[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, 4, 3);
    Parameter p = model.parameter("W1");
    p.assign(w1);
    assertArrayEquals(w1.toDoubleArray(), model.parameters().get(0).value().toDoubleArray(), 0.0);
    Tensor x = Tensor.of(new double[] {1, 0, 0, 0}, 1, 4);
    assertNotEquals(0.0, model.loss(x).getFlat(0));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> p.assign(Tensor.zeros(F64, 3, 4)));
    assertTrue(e.getMessage().contains("(4, 3)"), e.getMessage());
  }
}
