package org.handgrad.nn.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.handgrad.nn.modules.ReLU;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

class TapeProfileTest {
  private static final long MS = 1_000_000L;

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  /** x -> relu -> slow (sleeps 30 ms in backward) -> add(., x); backward from the sum. */
  private static void pass() {
    Tape tape = new Tape();
    Var x = tape.input(Tensor.of(new double[] {-1, 2, 3}, 3));
    Var h = tape.module(new ReLU(), x);
    sleep(20); // work between entries is charged to the next entry's forward
    Var slow =
        tape.record(
            "slow",
            h.value().mul(2),
            d -> {
              sleep(30);
              return new Tensor[] {d.mul(2)};
            },
            h);
    Var out = tape.add(slow, x);
    tape.backward(out, Tensor.of(new double[] {1, 1, 1}, 3));
  }

  @Test
  void countsAndChargesEveryOperationByName() {
    List<TapeProfile.Row> rows;
    try (TapeProfile p = TapeProfile.start()) {
      pass();
      pass();
      rows = p.rows();
      assertEquals(rows.stream().mapToLong(TapeProfile.Row::totalNanos).sum(), p.totalNanos());
    }
    Map<String, TapeProfile.Row> byOp =
        rows.stream().collect(Collectors.toMap(TapeProfile.Row::op, r -> r));
    assertEquals(List.of("ReLU", "add", "leaf", "slow"), byOp.keySet().stream().sorted().toList());
    TapeProfile.Row slow = byOp.get("slow");
    assertEquals(2, slow.forwardCalls());
    assertEquals(2, slow.backwardCalls());
    assertTrue(slow.forwardNanos() >= 2 * 20 * MS, slow.toString());
    assertTrue(slow.backwardNanos() >= 2 * 30 * MS, slow.toString());
    assertSame(slow, rows.get(0), "the most expensive first: " + rows);
    // The leaf x is an input: no backward entry of its own.
    assertEquals(2, byOp.get("leaf").forwardCalls());
    assertEquals(0, byOp.get("leaf").backwardCalls());
    assertEquals(2, byOp.get("ReLU").backwardCalls());
    assertTrue(byOp.get("ReLU").totalNanos() < slow.totalNanos());
  }

  @Test
  void tapesOutsideAnOpenProfileReportNothing() {
    TapeProfile p = TapeProfile.start();
    p.close();
    pass();
    assertTrue(p.rows().isEmpty());
    assertNull(TapeProfile.current());
  }

  @Test
  void closingAnInnerProfileRestoresTheOuterOne() {
    try (TapeProfile outer = TapeProfile.start()) {
      try (TapeProfile inner = TapeProfile.start()) {
        pass();
        assertEquals(4, inner.rows().size());
      }
      assertSame(outer, TapeProfile.current());
      assertTrue(outer.rows().isEmpty());
      pass();
      assertEquals(4, outer.rows().size());
    }
    assertNull(TapeProfile.current());
  }
}
