package org.handgrad.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.handgrad.nn.Model;
import org.handgrad.nn.Parameter;
import org.handgrad.optim.GradientComputation;
import org.handgrad.optim.Solver;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Data-parallel training on embedded Spark against the single-process Solver with the same global
 * batch. K = 2 runs on {@code local[2]}; K = 4 needs four task slots at once (barrier mode gangs
 * them), so it runs on {@code local[4]}, four task threads on the same two cores.
 */
class DataParallelGradientsTest {
  private static final int STEPS = 6;

  /** The Solver's steps with the given gradient computation; the parameters after them. */
  private static Map<String, Tensor> train(Tiny t, GradientComputation g) {
    Solver s = t.solver();
    if (g != null) {
      s.gradientComputation(g);
    }
    Tiny.steps(s, STEPS);
    assertEquals(STEPS, s.iteration());
    return Tiny.params(s);
  }

  /**
   * The same K shards, gradients computed one after the other in this process and summed in the
   * same order and precision: what the Spark computation must equal bit for bit.
   */
  private static GradientComputation sequentialShards(Tiny t, int k) {
    Model replica = t.spec.buildModel();
    return (model, x, y) -> {
      int b = y.length;
      List<Parameter> ps = model.parameters();
      List<Parameter> rs = replica.parameters();
      double[][] sums = new double[ps.size()][];
      double loss = 0;
      for (int i = 0; i < ps.size(); i++) {
        sums[i] = new double[ps.get(i).size()];
        rs.get(i).assign(ps.get(i).value());
      }
      for (int s = 0; s < k; s++) {
        int from = s * b / k;
        int to = (s + 1) * b / k;
        int[] ys = java.util.Arrays.copyOfRange(y, from, to);
        double w = (double) (to - from) / b;
        loss += w * replica.loss(x.slice(0, from, to).copy(), ys);
        for (int i = 0; i < ps.size(); i++) {
          DataParallelGradients.ParamValues.grads(List.of(rs.get(i))).addScaledTo(0, w, sums[i]);
        }
      }
      for (int i = 0; i < ps.size(); i++) {
        ps.get(i).zeroGrad();
        ps.get(i)
            .accumulateGrad(
                DataParallelGradients.ParamValues.tensor(
                    sums[i], ps.get(i).dtype(), ps.get(i).shape()));
      }
      return loss;
    };
  }

  private static double maxRelDiff(Map<String, Tensor> a, Map<String, Tensor> b) {
    double worst = 0;
    for (String n : a.keySet()) {
      double[] x = a.get(n).to(DType.FLOAT64).contiguous().toDoubleArray();
      double[] y = b.get(n).to(DType.FLOAT64).contiguous().toDoubleArray();
      double scale = 0;
      double diff = 0;
      for (int i = 0; i < x.length; i++) {
        scale = Math.max(scale, Math.abs(x[i]));
        diff = Math.max(diff, Math.abs(x[i] - y[i]));
      }
      worst = Math.max(worst, diff / Math.max(scale, 1e-12));
    }
    return worst;
  }

  private static void assertBitIdentical(Map<String, Tensor> a, Map<String, Tensor> b) {
    assertEquals(a.keySet(), b.keySet());
    for (String n : a.keySet()) {
      assertArrayEquals(
          a.get(n).to(DType.FLOAT64).contiguous().toDoubleArray(),
          b.get(n).to(DType.FLOAT64).contiguous().toDoubleArray(),
          0.0,
          n);
    }
  }

  @Test
  void oneWorkerIsBitIdenticalToTheLocalRun() {
    Tiny t = new Tiny("cnn", DType.FLOAT32, 240, 40, 1);
    JavaSparkContext sc = TestSpark.get("local[2]");
    Map<String, Tensor> local = train(t, null);
    Map<String, Tensor> spark = train(t, new DataParallelGradients(sc, 1, t.specJson(), 0));
    assertBitIdentical(local, spark);
  }

  @Test
  void twoWorkersEqualTheSameShardsSummedInOrderAndTheLocalRunWithinRounding() {
    Tiny t = new Tiny("cnn", DType.FLOAT32, 240, 40, 1);
    JavaSparkContext sc = TestSpark.get("local[2]");
    Map<String, Tensor> local = train(t, null);
    Map<String, Tensor> reference = train(t, sequentialShards(t, 2));
    Map<String, Tensor> spark = train(t, new DataParallelGradients(sc, 2, t.specJson(), 0));
    // Fixed order: bit for bit what the same shards give summed in shard order.
    assertBitIdentical(reference, spark);
    // Against the one-process batch: each shard's GEMMs sum over 20 rows instead of 40, so
    // float32 rounding differs (see roundingAgainstTheLocalBatch).
    assertTrue(maxRelDiff(local, spark) > 0);
  }

  /**
   * Against the single-process batch the parameters agree within float rounding: float32 cnn with
   * SGD + momentum to 1e-5 of their scale after 6 steps. (Adam is not used for this comparison: it
   * divides by sqrt(v) + 1e-8, so a gradient element that is 0 in one run and 1e-9 from rounding in
   * the other moves by a whole learning rate, and the runs part by ~lr per step in such elements;
   * that is Adam's sensitivity, not a difference of the gradients.)
   */
  @Test
  void roundingAgainstTheLocalBatch() {
    Tiny t = new Tiny("cnn", DType.FLOAT32, 240, 40, 1, "sgd_momentum", 1e-2);
    JavaSparkContext sc = TestSpark.get("local[2]");
    double d =
        maxRelDiff(train(t, null), train(t, new DataParallelGradients(sc, 2, t.specJson(), 0)));
    assertTrue(d < 1e-5, "relative difference " + d);
  }

  @Test
  void float64SoftmaxWithTwoWorkersMatchesTheLocalRunTo1e12() {
    Tiny t = new Tiny("softmax", DType.FLOAT64, 240, 40, 1);
    JavaSparkContext sc = TestSpark.get("local[2]");
    Map<String, Tensor> local = train(t, null);
    Map<String, Tensor> spark = train(t, new DataParallelGradients(sc, 2, t.specJson(), 0));
    double d = maxRelDiff(local, spark);
    assertTrue(d < 1e-12, "relative difference " + d);
  }

  @Test
  void fourWorkersOnFourSlots() {
    Tiny t = new Tiny("cnn", DType.FLOAT32, 240, 40, 1);
    JavaSparkContext sc = TestSpark.get("local[4]");
    Map<String, Tensor> local = train(t, null);
    Map<String, Tensor> reference = train(t, sequentialShards(t, 4));
    Map<String, Tensor> spark = train(t, new DataParallelGradients(sc, 4, t.specJson(), 0));
    assertBitIdentical(reference, spark);
    Tiny sgd = new Tiny("cnn", DType.FLOAT32, 240, 40, 1, "sgd_momentum", 1e-2);
    double d =
        maxRelDiff(
            train(sgd, null), train(sgd, new DataParallelGradients(sc, 4, sgd.specJson(), 0)));
    assertTrue(d < 1e-5, "relative difference " + d);
    TestSpark.get("local[2]");
  }

  @Test
  void aKilledWorkerTaskMakesTheStepRetryWithTheSameResult() {
    Tiny t = new Tiny("cnn", DType.FLOAT32, 240, 40, 1);
    JavaSparkContext sc = TestSpark.get("local[2]");
    Map<String, Tensor> clean = train(t, new DataParallelGradients(sc, 2, t.specJson(), 0));
    DataParallelGradients faulty =
        new DataParallelGradients(sc, 2, t.specJson(), 2)
            .withFault(new DataParallelGradients.Fault(3, 1, 1));
    Map<String, Tensor> retried = train(t, faulty);
    assertBitIdentical(clean, retried);
  }

  @Test
  void aWorkerThatKeepsFailingStopsTheRunBeforeAnyUpdateOfThatStep() {
    Tiny t = new Tiny("cnn", DType.FLOAT32, 240, 40, 1);
    JavaSparkContext sc = TestSpark.get("local[2]");
    Solver s = t.solver();
    s.gradientComputation(
        new DataParallelGradients(sc, 2, t.specJson(), 1)
            .withFault(new DataParallelGradients.Fault(3, 0, 99)));
    DataParallelGradients.StepFailedException e =
        assertThrows(DataParallelGradients.StepFailedException.class, s::train);
    assertTrue(e.getMessage().contains("step 4 failed 2 time(s)"), e.getMessage());
    assertTrue(e.getMessage().contains("no update was applied"), e.getMessage());
    assertTrue(e.getMessage().contains("injected failure of worker 0"), e.getMessage());
    assertEquals(3, s.iteration());
    // Steps 1-3 ran on Spark (two shards): the parameters are those after step 3, equal to the
    // sequential sum of the same shards bit for bit.
    Solver seq = t.solver();
    seq.gradientComputation(sequentialShards(t, 2));
    Tiny.steps(seq, 3);
    assertBitIdentical(Tiny.params(seq), Tiny.params(s));
  }

  @Test
  void modelsWithBuffersAreRefused() {
    Tiny t = new Tiny("softmax", DType.FLOAT32, 100, 20, 1);
    DataParallelGradients.checkSupported(t.spec.buildModel());
    Model withBuffer =
        new Model() {
          @Override
          public List<Parameter> parameters() {
            return List.of();
          }

          @Override
          public Map<String, Tensor> buffers() {
            return Map.of("bn.running_mean", Tensor.zeros(3));
          }

          @Override
          public Tensor loss(Tensor x) {
            return x;
          }

          @Override
          public double loss(Tensor x, int[] y) {
            return 0;
          }
        };
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> DataParallelGradients.checkSupported(withBuffer));
    assertTrue(e.getMessage().contains("bn.running_mean"), e.getMessage());
  }
}
