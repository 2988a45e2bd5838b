package org.handgrad.nn;

import static org.handgrad.nn.modules.ModuleTesting.assertThrowsWith;
import static org.handgrad.nn.modules.ModuleTesting.names;
import static org.handgrad.nn.modules.ModuleTesting.randn;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.handgrad.nn.functional.ConvParam;
import org.handgrad.nn.init.Init;
import org.handgrad.nn.modules.BatchNorm1d;
import org.handgrad.nn.modules.Conv2d;
import org.handgrad.nn.modules.Dropout;
import org.handgrad.nn.modules.Flatten;
import org.handgrad.nn.modules.Linear;
import org.handgrad.nn.modules.ReLU;
import org.handgrad.optim.Optimizer;
import org.handgrad.optim.Sgd;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The Module base: the tree, names, counting, modes, gradients and errors. */
class ModuleTest {
  private static final DType F64 = DType.FLOAT64;

  /** fc1 - bn1 - relu - drop - (head: fc2 - relu), with named and numbered children. */
  private static Sequential tree() {
    return new Sequential()
        .add("fc1", new Linear(4, 6, F64, Init.rng(1)))
        .add("bn1", new BatchNorm1d(6, F64))
        .add("relu", new ReLU())
        .add("drop", new Dropout(0.9, 5))
        .add("head", new Sequential(new Linear(6, 3, F64, Init.rng(2)), new ReLU()));
  }

  @Test
  void parametersAndBuffersAreNamedByTheirPathDepthFirst() {
    Sequential net = tree();
    assertEquals(
        List.of("fc1.weight", "fc1.bias", "bn1.weight", "bn1.bias", "head.0.weight", "head.0.bias"),
        names(net));
    assertEquals(
        List.of("bn1.running_mean", "bn1.running_var", "bn1.num_batches_tracked", "drop.rng_state"),
        List.copyOf(net.buffers().keySet()));
    assertEquals(4 * 6 + 6 + 6 + 6 + 6 * 3 + 3, net.parameterCount());
    assertEquals(
        List.of("fc1", "bn1", "relu", "drop", "head"), List.copyOf(net.children().keySet()));
    // A child on its own names its parameters locally.
    assertEquals(List.of("0.weight", "0.bias"), names(net.children().get("head")));
    assertEquals(
        List.of("weight", "bias"), names(((Sequential) net.children().get("head")).get(0)));
  }

  @Test
  void pathNamedHandlesShareValueAndGradientWithTheLayer() {
    Sequential net = tree();
    Linear fc1 = (Linear) net.get(0);
    Parameter handle = net.parameters().get(0);
    assertEquals("fc1.weight", handle.name());
    assertSame(fc1.weight().value(), handle.value());
    assertSame(fc1.weight().grad(), handle.grad());
    // An optimizer stepping the handles updates the layers, with state keyed by path.
    Tensor x = randn(3, F64, 5, 4);
    net.forward(x);
    net.backward(randn(4, F64, 5, 3));
    Tensor before = fc1.weight().value().copy();
    Optimizer sgd = new Optimizer(new Sgd(0.1));
    sgd.step(net.parameters());
    for (int i = 0; i < before.size(); i++) {
      assertEquals(
          before.getFlat(i) - 0.1 * fc1.weight().grad().getFlat(i),
          fc1.weight().value().getFlat(i),
          1e-15);
    }
  }

  @Test
  void pathIsTheDottedNameInTheTree() {
    Sequential net = tree();
    Sequential head = (Sequential) net.children().get("head");
    assertEquals("", net.path());
    assertEquals("fc1", net.get(0).path());
    assertEquals("head", head.path());
    assertEquals("head.0", head.get(0).path());
    assertEquals("head.1", head.get(1).path());
    assertEquals("", new ReLU().path());
  }

  @Test
  void aMisSizedLinearInATreeIsNamedByItsPath() {
    Sequential net = tree();
    assertThrowsWith(
        IllegalArgumentException.class,
        () -> net.forward(randn(1, F64, 2, 5)),
        "Linear 'fc1' (in=4, out=6): input (2, 5)");
  }

  @Test
  void trainAndEvalPropagateThroughTheTree() {
    Sequential net = tree();
    assertTrue(net.isTraining());
    Module head = net.children().get("head");
    Module inner = ((Sequential) head).get(0);
    assertSame(net, net.eval());
    assertFalse(net.isTraining() || head.isTraining() || inner.isTraining());
    net.children().get("bn1").train();
    assertTrue(net.children().get("bn1").isTraining());
    assertFalse(net.isTraining());
    net.train();
    assertTrue(head.isTraining() && inner.isTraining());
    // A child registered into an evaluating tree takes its mode.
    Sequential eval = new Sequential();
    eval.eval();
    ReLU relu = new ReLU();
    eval.add(relu);
    assertFalse(relu.isTraining());
  }

  @Test
  void zeroGradClearsTheWholeTree() {
    Sequential net = tree();
    net.forward(randn(1, F64, 5, 4));
    net.backward(randn(2, F64, 5, 3));
    assertTrue(net.parameters().stream().allMatch(p -> maxAbs(p.grad()) > 0));
    net.zeroGrad();
    assertTrue(net.parameters().stream().allMatch(p -> maxAbs(p.grad()) == 0));
  }

  @Test
  void registrationErrorsAreClear() {
    Linear fc = new Linear(2, 2, F64, Init.rng(1));
    Sequential a = new Sequential(fc);
    assertThrowsWith(
        IllegalArgumentException.class,
        () -> new Sequential().add(fc),
        "Sequential: Linear is already registered in a Sequential",
        "ONE forward pass");
    assertThrowsWith(
        IllegalArgumentException.class,
        () -> a.add(a),
        "Sequential: cannot register Sequential inside itself"); // itself: caught as already owned?
    assertThrowsWith(
        IllegalArgumentException.class,
        () -> a.add("x.y", new ReLU()),
        "Sequential: names must be non-empty and contain no '.', got 'x.y'");
    assertThrowsWith(
        IllegalArgumentException.class,
        () -> a.add("0", new ReLU()),
        "Sequential: name '0' is already registered");
    Sequential outer = new Sequential();
    Sequential inner = new Sequential();
    outer.add(inner);
    assertThrowsWith(
        IllegalArgumentException.class,
        () -> inner.add(outer),
        "Sequential: cannot register Sequential inside itself");
  }

  @Test
  void backwardBeforeForwardNamesTheModule() {
    List<Module> modules =
        List.of(
            new Linear(2, 2, F64, Init.rng(1)),
            new Conv2d(1, 1, 1, new ConvParam(1, 0), F64, Init.rng(1)),
            new BatchNorm1d(2, F64),
            new Dropout(0.5, 1),
            new Flatten(),
            new Sequential(new ReLU()));
    for (Module m : modules) {
      assertThrowsWith(
          IllegalStateException.class,
          () -> m.backward(Tensor.zeros(F64, 2, 2)),
          m.getClass().getSimpleName() + ".backward: no cached forward pass");
    }
  }

  @Test
  void toStringOutlinesTheTree() {
    assertEquals(
        String.join(
            "\n",
            "Sequential(",
            "  (fc1): Linear(in=4, out=6, bias=true, float64)",
            "  (bn1): BatchNorm1d(6, eps=1.0E-5, momentum=0.9, float64)",
            "  (relu): ReLU()",
            "  (drop): Dropout(p=0.9 (keep))",
            "  (head): Sequential(",
            "    (0): Linear(in=6, out=3, bias=true, float64)",
            "    (1): ReLU()",
            "  )",
            ")"),
        tree().toString());
  }

  @Test
  void buffersAreLive() {
    Sequential net = tree();
    Map<String, Tensor> buffers = net.buffers();
    Tensor mean = buffers.get("bn1.running_mean");
    net.forward(randn(7, F64, 5, 4));
    assertTrue(maxAbs(mean) > 0, "updated in place by the training forward");
    assertArrayEquals(new int[] {6}, mean.shape());
  }

  private static double maxAbs(Tensor t) {
    double m = 0;
    for (int i = 0; i < t.size(); i++) {
      m = Math.max(m, Math.abs(t.getFlat(i)));
    }
    return m;
  }
}
