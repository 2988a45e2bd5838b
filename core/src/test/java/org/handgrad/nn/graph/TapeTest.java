package org.handgrad.nn.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.handgrad.nn.GradCheckResult;
import org.handgrad.nn.Sequential;
import org.handgrad.nn.checks.ModuleChecks;
import org.handgrad.nn.functional.ConvParam;
import org.handgrad.nn.init.WeightInit;
import org.handgrad.nn.modules.BatchNorm2d;
import org.handgrad.nn.modules.Conv2d;
import org.handgrad.nn.modules.Linear;
import org.handgrad.nn.modules.ReLU;
import org.handgrad.nn.modules.Tanh;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

class TapeTest {
  private static final DType F64 = DType.FLOAT64;

  /**
   * What a user writes for a ResNet basic block (He et al. 2016): two conv - BN stages and an
   * identity shortcut, {@code out = relu(bn2(conv2(relu(bn1(conv1(x))))) + x)}, with a 1x1 conv
   * projection on the shortcut when the channels change. Only the forward order is written.
   */
  static final class BasicBlock extends TapeModule {
    private final Conv2d conv1;
    private final BatchNorm2d bn1;
    private final ReLU relu1 = new ReLU();
    private final Conv2d conv2;
    private final BatchNorm2d bn2;
    private final Conv2d shortcut;
    private final ReLU relu2 = new ReLU();

    BasicBlock(int in, int out, SplittableRandom rng) {
      WeightInit init = WeightInit.pytorch();
      ConvParam same = new ConvParam(1, 1);
      conv1 = registerModule("conv1", new Conv2d(in, out, 3, 3, same, false, F64, init, rng));
      bn1 = registerModule("bn1", new BatchNorm2d(out, F64));
      registerModule("relu1", relu1);
      conv2 = registerModule("conv2", new Conv2d(out, out, 3, 3, same, false, F64, init, rng));
      bn2 = registerModule("bn2", new BatchNorm2d(out, F64));
      shortcut =
          in == out
              ? null
              : registerModule(
                  "shortcut", new Conv2d(in, out, 1, 1, new ConvParam(1, 0), true, F64, init, rng));
      registerModule("relu2", relu2);
    }

    @Override
    public Var forward(Tape tape, Var x) {
      Var h = tape.module(conv1, x);
      h = tape.module(bn1, h);
      h = tape.module(relu1, h);
      h = tape.module(conv2, h);
      h = tape.module(bn2, h);
      Var skip = shortcut == null ? x : tape.module(shortcut, x);
      return tape.module(relu2, tape.add(h, skip));
    }
  }

  /** Two residual blocks (the second with a projection shortcut): a small ResNet body. */
  static final class SmallResNet extends TapeModule {
    private final BasicBlock b1;
    private final BasicBlock b2;

    SmallResNet(SplittableRandom rng) {
      b1 = registerModule("layer1", new BasicBlock(2, 2, rng));
      b2 = registerModule("layer2", new BasicBlock(2, 3, rng));
    }

    @Override
    public Var forward(Tape tape, Var x) {
      return b2.forward(tape, b1.forward(tape, x));
    }
  }

  @Test
  void aResNetBuiltOnTheTapePassesTheFloat64GradientCheck() {
    SplittableRandom rng = new SplittableRandom(5);
    SmallResNet net = new SmallResNet(rng);
    List<GradCheckResult> rows = ModuleChecks.module("resnet", net, 17, 3, 2, 4, 4);
    // dx and every parameter: 2 blocks x (2 convs + 2 BN x 2) + the shortcut's weight and bias.
    assertEquals(1 + net.parameters().size(), rows.size());
    for (GradCheckResult r : rows) {
      assertTrue(r.passed(), r.toString());
    }
  }

  @Test
  void gradientsAddWherePathsMeet() {
    // f(x) = x + x + linear(x), and tanh(x) recorded off the path to the loss: x feeds four uses;
    // dx sums the three that reach the loss (the tanh entry gets no gradient and is skipped).
    SplittableRandom rng = new SplittableRandom(1);
    Linear lin = new Linear(3, 3, F64, rng);
    Tanh tanh = new Tanh();
    Tensor x = Tensor.of(new double[] {0.5, -1, 2, 0.1, 0.2, 0.3}, 2, 3);
    Tensor dout = Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
    Tape tape = new Tape();
    Var vx = tape.input(x);
    Var sum = tape.add(tape.add(vx, vx), tape.module(lin, vx));
    Var t = tape.module(tanh, vx);
    tape.backward(sum, dout);
    Tensor expected = dout.mul(2).add(dout.matmul(lin.weight().value().transpose()));
    assertTrue(expected.allClose(tape.grad(vx), 1e-12, 1e-12));
    assertEquals(List.of("add", "Linear", "add", "Tanh"), tape.ops());
    assertArrayEquals(new int[] {2, 3}, t.shape());
  }

  @Test
  void aSequentialIsRecordedLayerByLayerWithItsOwnValuesAndGradients() {
    Tensor x = Tensor.of(new double[] {0.5, -1, 2, 0.1, 0.2, -0.3}, 2, 3);
    Tensor dout = Tensor.of(new double[] {1, -2, 3, 0.5}, 2, 2);
    Sequential direct = chain();
    Sequential taped = chain();
    Tensor y = direct.forward(x);
    Tensor dx = direct.backward(dout);
    Tape tape = new Tape();
    Var vx = tape.input(x);
    Var vy = tape.module(taped, vx);
    tape.backward(vy, dout);
    assertEquals(List.of("Linear", "ReLU", "Linear"), tape.ops());
    assertArrayEquals(y.toDoubleArray(), vy.value().toDoubleArray());
    assertArrayEquals(dx.toDoubleArray(), tape.grad(vx).toDoubleArray());
    assertEquals(4, taped.parameters().size());
    for (int i = 0; i < 4; i++) {
      assertArrayEquals(
          direct.parameters().get(i).grad().toDoubleArray(),
          taped.parameters().get(i).grad().toDoubleArray());
    }
  }

  private static Sequential chain() {
    return new Sequential(
        new Linear(3, 4, F64, new SplittableRandom(3)),
        new ReLU(),
        new Linear(4, 2, F64, new SplittableRandom(4)));
  }

  @Test
  void concatenatedSkipsSplitTheirGradient() {
    Tensor a = Tensor.of(new double[] {1, 2, 3, 4}, 1, 2, 2);
    Tensor b = Tensor.of(new double[] {5, 6}, 1, 1, 2);
    Tape tape = new Tape();
    Var va = tape.input(a);
    Var vb = tape.input(b);
    Var cat = tape.concat(1, va, vb, va); // (1, 5, 2): a is used twice
    Tensor dout = Tensor.arange(F64, 10).reshape(1, 5, 2);
    tape.backward(cat, dout);
    assertArrayEquals(new double[] {0 + 6, 1 + 7, 2 + 8, 3 + 9}, tape.grad(va).toDoubleArray());
    assertArrayEquals(new double[] {4, 5}, tape.grad(vb).toDoubleArray());
  }

  @Test
  void sliceAndReshapeRouteTheGradientBack() {
    Tensor x = Tensor.arange(F64, 6).reshape(2, 3);
    Tape tape = new Tape();
    Var vx = tape.input(x);
    Var s = tape.reshape(tape.slice(vx, 1, 1, 3), 4);
    tape.backward(s, Tensor.of(new double[] {1, 2, 3, 4}, 4));
    assertArrayEquals(new double[] {0, 1, 2, 0, 3, 4}, tape.grad(vx).toDoubleArray());
  }

  @Test
  void misuseIsReportedClearly() {
    SplittableRandom rng = new SplittableRandom(1);
    Linear lin = new Linear(2, 2, F64, rng);
    Tape tape = new Tape();
    Var x = tape.input(Tensor.ones(F64, 1, 2));
    tape.module(lin, x);
    IllegalArgumentException twice =
        assertThrows(IllegalArgumentException.class, () -> tape.module(lin, x));
    assertTrue(twice.getMessage().contains("already on the tape"), twice.getMessage());
    Tape other = new Tape();
    assertThrows(IllegalArgumentException.class, () -> other.add(x, x));
    assertThrows(IllegalStateException.class, () -> tape.grad(x));
    IllegalArgumentException shapes =
        assertThrows(
            IllegalArgumentException.class, () -> tape.add(x, tape.input(Tensor.ones(F64, 2, 2))));
    assertEquals(
        "Tape.add: expected two values of one shape and dtype, got (1, 2) float64 and (2, 2)"
            + " float64",
        shapes.getMessage());
    tape.backward(x, Tensor.ones(F64, 1, 2));
    assertThrows(IllegalStateException.class, () -> tape.backward(x, Tensor.ones(F64, 1, 2)));
    assertThrows(IllegalStateException.class, () -> tape.input(Tensor.ones(F64, 1)));
  }

  @Test
  void aTapeModuleRunsAsAPlainModuleButItsPlainModulesOnlyOncePerTape() {
    SplittableRandom rng = new SplittableRandom(3);
    BasicBlock block = new BasicBlock(2, 2, rng);
    Tensor x = Tensor.zeros(F64, 1, 2, 3, 3).add(0.5);
    block.forward(Tensor.arange(F64, 36).reshape(2, 2, 3, 3)); // running statistics exist
    block.eval(); // running statistics: two calls see the same function
    Tensor y = block.forward(x);
    Tape tape = new Tape();
    Var out = block.forward(tape, tape.input(x));
    assertTrue(y.allClose(out.value(), 0, 0));
    // the block records plain modules (one cache each), so a second call on one tape is refused
    Tape shared = new Tape();
    Var v = shared.input(x);
    assertThrows(
        IllegalArgumentException.class, () -> block.forward(shared, block.forward(shared, v)));
  }
}
