package org.handgrad.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.handgrad.nn.graph.Tape;
import org.handgrad.nn.graph.Var;
import org.handgrad.nn.modules.GELU;
import org.handgrad.nn.modules.L2Norm;
import org.handgrad.nn.modules.Linear;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

class NoGradTest {
  private static Tensor input() {
    return Tensor.of(new double[] {0.5, -1, 2, 0.25, -0.75, 1.5}, 2, 3);
  }

  @Test
  void scopesNestAndEndEvenWhenTheWorkThrows() {
    assertFalse(NoGrad.active());
    NoGrad.run(
        () -> {
          assertTrue(NoGrad.get(NoGrad::active));
          assertTrue(NoGrad.active());
        });
    assertFalse(NoGrad.active());
    assertThrows(
        ArithmeticException.class,
        () ->
            NoGrad.run(
                () -> {
                  throw new ArithmeticException("inside");
                }));
    assertFalse(NoGrad.active());
  }

  @Test
  void modulesComputeTheSameOutputAndKeepNothingForABackward() {
    Linear linear = new Linear(3, 4, DType.FLOAT64, new SplittableRandom(1));
    Module[] modules = {linear, new GELU(), new L2Norm()};
    for (Module m : modules) {
      Tensor x = m == linear ? input() : input().mul(2);
      Tensor expected = m.forward(x);
      Tensor out = NoGrad.get(() -> m.forward(x));
      assertArrayEquals(expected.toDoubleArray(), out.toDoubleArray(), 0.0, m.toString());
      IllegalStateException e =
          assertThrows(IllegalStateException.class, () -> m.backward(expected), m.toString());
      assertTrue(e.getMessage().contains("outside NoGrad"), e.getMessage());
      m.forward(x); // outside the scope the cache is kept again
      assertEquals(x.shape(0), m.backward(expected).shape(0));
    }
  }

  @Test
  void aTapeMadeInsideRecordsNothingAndRefusesToReplay() {
    Linear linear = new Linear(3, 2, DType.FLOAT64, new SplittableRandom(2));
    Tape recorded = new Tape();
    Var r =
        recorded.add(
            recorded.module(linear, recorded.input(input())),
            recorded.input(input().slice(1, 0, 2).contiguous()));
    Tape tape = NoGrad.get(Tape::new);
    Var out =
        tape.add(
            tape.module(linear, tape.input(input())),
            tape.input(input().slice(1, 0, 2).contiguous()));
    assertArrayEquals(r.value().toDoubleArray(), out.value().toDoubleArray(), 0.0);
    assertEquals(0, tape.size());
    assertEquals(2, recorded.size());
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> tape.backward(out, out.value()));
    assertEquals(
        "Tape.backward: this tape was made inside NoGrad and recorded nothing to replay; run the"
            + " forward outside NoGrad to train",
        e.getMessage());
  }
}
