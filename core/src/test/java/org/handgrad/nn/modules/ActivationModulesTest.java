package org.handgrad.nn.modules;

import static org.handgrad.nn.modules.ModuleTesting.assertIdentical;
import static org.handgrad.nn.modules.ModuleTesting.assertThrowsWith;
import static org.handgrad.nn.modules.ModuleTesting.randn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.handgrad.nn.Module;
import org.handgrad.nn.functional.Activations;
import org.handgrad.nn.functional.Forward;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every activation module is its functional pair plus a cache. */
class ActivationModulesTest {

  /** A module factory and the pair it must reproduce. */
  private record Case<C>(
      String name,
      Supplier<Module> module,
      Function<Tensor, Forward<C>> forward,
      BiFunction<Tensor, C, Tensor> backward) {
    Tensor[] reference(Tensor x, Tensor dout) {
      Forward<C> f = forward.apply(x);
      return new Tensor[] {f.out(), backward.apply(dout, f.cache())};
    }

    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Arguments> cases() {
    return Stream.of(
            new Case<>("ReLU", ReLU::new, Activations::reluForward, Activations::reluBackward),
            new Case<>(
                "LeakyReLU(0.2)",
                () -> new LeakyReLU(0.2),
                x -> Activations.leakyReluForward(x, 0.2),
                Activations::leakyReluBackward),
            new Case<>(
                "LeakyReLU()",
                LeakyReLU::new,
                x -> Activations.leakyReluForward(x, 0.01),
                Activations::leakyReluBackward),
            new Case<>(
                "Sigmoid", Sigmoid::new, Activations::sigmoidForward, Activations::sigmoidBackward),
            new Case<>("Tanh", Tanh::new, Activations::tanhForward, Activations::tanhBackward),
            new Case<>("GELU", GELU::new, Activations::geluForward, Activations::geluBackward),
            new Case<>(
                "GELU(tanh)",
                () -> new GELU(GELU.Approximate.TANH),
                Activations::geluTanhForward,
                Activations::geluTanhBackward),
            new Case<>(
                "ELU(0.5)",
                () -> new ELU(0.5),
                x -> Activations.eluForward(x, 0.5),
                Activations::eluBackward),
            new Case<>("ELU()", ELU::new, Activations::eluForward, Activations::eluBackward),
            new Case<>("SELU", SELU::new, Activations::seluForward, Activations::seluBackward),
            new Case<>("SiLU", SiLU::new, Activations::siluForward, Activations::siluBackward))
        .flatMap(c -> Stream.of(Arguments.of(c, DType.FLOAT64), Arguments.of(c, DType.FLOAT32)));
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("cases")
  void moduleIsThePair(Case<?> c, DType dtype) {
    Module m = c.module().get();
    Tensor x = randn(11, dtype, 3, 2, 4);
    Tensor dout = randn(12, dtype, 3, 2, 4);
    Tensor[] ref = c.reference(x, dout);
    assertIdentical(c.name() + " out", ref[0], m.forward(x));
    assertIdentical(c.name() + " dx", ref[1], m.backward(dout));
    assertTrue(m.parameters().isEmpty());
    assertTrue(m.buffers().isEmpty());
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("cases")
  void backwardBeforeForwardFails(Case<?> c, DType dtype) {
    Module m = c.module().get();
    String kind = m.getClass().getSimpleName();
    assertThrowsWith(
        IllegalStateException.class,
        () -> m.backward(Tensor.zeros(dtype, 2)),
        kind + ".backward: no cached forward pass; call forward(x) before backward(dout)");
  }

  @org.junit.jupiter.api.Test
  void settingsAreValidatedAndShown() {
    assertThrowsWith(
        IllegalArgumentException.class,
        () -> new LeakyReLU(Double.NaN),
        "LeakyReLU: negativeSlope must be finite");
    assertThrowsWith(
        IllegalArgumentException.class,
        () -> new ELU(Double.POSITIVE_INFINITY),
        "ELU: alpha must be finite");
    assertEquals("GELU(approximate=tanh)", new GELU(GELU.Approximate.TANH).toString());
    assertEquals("ReLU()", new ReLU().toString());
    assertEquals("LeakyReLU(negativeSlope=0.2)", new LeakyReLU(0.2).toString());
  }
}
