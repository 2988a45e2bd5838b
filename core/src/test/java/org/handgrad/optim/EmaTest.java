package org.handgrad.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.handgrad.nn.Model;
import org.handgrad.nn.Parameter;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The moving average of the weights: hand-computed values, swapping, state, the Solver's use. */
class EmaTest {
  @TempDir Path tmp;

  /** One parameter "w" (2,), a float buffer "running_mean" (1,), an int buffer "count". */
  private static final class Holder implements Model {
    final Parameter w = new Parameter("w", Tensor.of(new double[] {0, 0}, 2));
    final Tensor mean = Tensor.of(new double[] {0}, 1);
    final Tensor count = Tensor.of(new int[] {0}, 1);

    @Override
    public List<Parameter> parameters() {
      return List.of(w);
    }

    @Override
    public Map<String, Tensor> buffers() {
      Map<String, Tensor> m = new LinkedHashMap<>();
      m.put("running_mean", mean);
      m.put("count", count);
      return m;
    }

    @Override
    public Tensor loss(Tensor x) {
      throw new UnsupportedOperationException();
    }

    @Override
    public double loss(Tensor x, int[] y) {
      throw new UnsupportedOperationException();
    }

    void set(double w0, double w1, double m) {
      w.value().setFlat(0, w0);
      w.value().setFlat(1, w1);
      mean.setFlat(0, m);
      count.setFlat(0, count.getFlat(0) + 1);
    }
  }

  @Test
  void averagesByHandWithoutWarmUp() {
    Holder h = new Holder();
    Ema ema = new Ema(0.5, false);
    h.set(4, -2, 10);
    ema.update(h); // copies: (4, -2), 10
    h.set(0, 2, 0);
    ema.update(h); // 0.5 * (4, -2) + 0.5 * (0, 2) = (2, 0); 5
    h.set(2, 4, 1);
    ema.update(h); // 0.5 * (2, 0) + 0.5 * (2, 4) = (2, 2); 3
    assertArrayEquals(new double[] {2, 2}, ema.averages().get("w").doubleStorage(), 0);
    assertArrayEquals(new double[] {3}, ema.averages().get("running_mean").doubleStorage(), 0);
    assertTrue(!ema.averages().containsKey("count"), "int buffers are not averaged");
    assertEquals(3, ema.updates());
  }

  @Test
  void warmUpUsesTensorFlowsDecay() {
    Ema ema = new Ema(0.999, true);
    assertEquals(2.0 / 11, ema.decayAt(1), 0);
    assertEquals(0.5, ema.decayAt(8), 0);
    assertEquals(0.999, ema.decayAt(100_000), 0);
    assertEquals(0.9, new Ema(0.9, false).decayAt(1), 0);
    Holder h = new Holder();
    h.set(1, 1, 1);
    ema.update(h);
    h.set(12, 1, 1);
    ema.update(h); // d = 2/11: (2/11) * 1 + (9/11) * 12 = 110 / 11 = 10
    assertEquals(10.0, ema.averages().get("w").getFlat(0), 1e-12);
  }

  @Test
  @SuppressWarnings("try") // the Swap is held only for its close(), which swaps back
  void swapPutsTheAverageInAndTheLiveWeightsBack() {
    Holder h = new Holder();
    Ema ema = new Ema(0.5, false);
    h.set(4, -2, 10);
    ema.update(h);
    h.set(0, 2, 0);
    ema.update(h);
    try (Ema.Swap s = ema.swapInto(h)) {
      assertArrayEquals(new double[] {2, 0}, h.w.value().doubleStorage(), 0);
      assertEquals(5, h.mean.getFlat(0), 0);
      assertEquals(2, h.count.getFlat(0), 0, "the int buffer stays live");
    }
    assertArrayEquals(new double[] {0, 2}, h.w.value().doubleStorage(), 0);
    assertEquals(0, h.mean.getFlat(0), 0);
  }

  @Test
  void stateRoundTripsAndMismatchesAreNamed() {
    Holder h = new Holder();
    Ema ema = new Ema(0.5, true);
    h.set(4, -2, 10);
    ema.update(h);
    h.set(0, 2, 0);
    ema.update(h);
    Ema back = new Ema(0.5, true);
    back.loadStateDict(ema.stateDict(), h);
    assertEquals(ema.updates(), back.updates());
    assertArrayEquals(
        ema.averages().get("w").doubleStorage(), back.averages().get("w").doubleStorage(), 0);
    Map<String, Tensor> bad = new LinkedHashMap<>(ema.stateDict());
    bad.put("ema.w", Tensor.of(new double[] {1, 2, 3}, 3));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> back.loadStateDict(bad, h));
    assertTrue(e.getMessage().contains("average of w is (3,) float64"), e.getMessage());
  }

  @Test
  void badArgumentsAreRejected() {
    for (double d : new double[] {-0.1, 1.0, Double.NaN}) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> new Ema(d, true));
      assertTrue(e.getMessage().contains("Ema: decay must be in [0, 1), got " + d));
    }
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> new Ema(0.9, true).swapInto(new Holder()));
    assertTrue(e.getMessage().contains("before the first update"), e.getMessage());
    IllegalArgumentException o =
        assertThrows(
            IllegalArgumentException.class, () -> SolverOptions.builder().emaDecay(1.0).build());
    assertTrue(o.getMessage().contains("emaDecay must be in [0, 1)"), o.getMessage());
  }

  // ---------------------------------------------------------------- in the Solver

  private static Solver.Data data() {
    return TinyNet.blobs(DType.FLOAT64, 60, 30, 5, 1.5, 21);
  }

  private static TinyNet net(long seed) {
    return new TinyNet(DType.FLOAT64, 5, 8, 3, 1e-3, 0.1, seed);
  }

  private static SolverOptions options(Path dir, double ema) {
    return SolverOptions.builder()
        .updateRule("adam", Map.of("learning_rate", 1e-2))
        .batchSize(20)
        .numEpochs(4)
        .seed(99)
        .emaDecay(ema)
        .verbose(false)
        .checkpointName("run")
        .checkpointDir(dir)
        .build();
  }

  @Test
  void solverEvaluatesAndKeepsTheAveragedWeights() {
    Solver plain = new Solver(net(1), data(), options(tmp.resolve("plain"), 0));
    plain.train();
    Solver averaged = new Solver(net(1), data(), options(tmp.resolve("ema"), 0.9));
    double[][] live = new double[1][];
    double[][] checked = new double[1][];
    averaged.addListener(
        new SolverListener() {
          @Override
          public void iterationDone(Iteration it) {
            live[0] = averaged.model().parameter("W1").value().doubleStorage().clone();
          }

          @Override
          public void accuracyChecked(Accuracy acc) {
            checked[0] = averaged.model().parameter("W1").value().doubleStorage().clone();
          }
        });
    averaged.train();
    // The live weights follow the same trajectory (the average does not feed back)...
    assertEquals(plain.lossHistory(), averaged.lossHistory());
    assertTrue(plain.ema().isEmpty());
    // ...but the last check (after the last of 12 updates) saw the average, not the live weights.
    Ema ema = averaged.ema().orElseThrow();
    assertEquals(12, ema.updates());
    assertArrayEquals(ema.averages().get("W1").doubleStorage(), checked[0], 0);
    assertNotEquals(live[0][0], checked[0][0]);
    // The kept (restored) parameters are the average at the best check.
    double[] kept = averaged.model().parameter("W1").value().doubleStorage();
    assertArrayEquals(averaged.bestParams().get("W1").doubleStorage(), kept, 0);
  }

  @Test
  void resumedRunWithAverageEqualsUninterrupted() throws IOException {
    Path a = tmp.resolve("a");
    Path b = tmp.resolve("b");
    Solver whole = new Solver(net(1), data(), options(a, 0.9));
    whole.train();
    Solver first = new Solver(net(1), data(), options(b, 0.9));
    first.addListener(
        new SolverListener() {
          @Override
          public void iterationDone(Iteration it) {
            if (it.iteration() == 5) {
              first.requestStop();
            }
          }
        });
    assertEquals(Solver.Status.STOPPED, first.train());
    Checkpoint cp = Checkpoint.read(Checkpoint.latest(b, "run").orElseThrow());
    assertEquals(0.9, cp.options().emaDecay());
    Solver resumed = new Solver(net(2), data(), cp.options()).resume(b);
    resumed.train();
    assertEquals(whole.valAccHistory(), resumed.valAccHistory());
    assertArrayEquals(
        whole.ema().orElseThrow().averages().get("W1").doubleStorage(),
        resumed.ema().orElseThrow().averages().get("W1").doubleStorage(),
        0);
    assertArrayEquals(
        whole.model().parameter("W2").value().doubleStorage(),
        resumed.model().parameter("W2").value().doubleStorage(),
        0);
  }
}
