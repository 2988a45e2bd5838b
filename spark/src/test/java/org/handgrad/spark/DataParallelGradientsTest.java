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

  /** bn-cnn with dropout, crops and flips: BatchNorm statistics, counters and two streams. */
  private static Tiny buffered() {
    return new Tiny(
        "bn-cnn",
        DType.FLOAT32,
        240,
        40,
        2, // two epochs of 6 steps: the run stops after STEPS with the latest state, not the best
        "sgd_momentum",
        1e-2,
        new org.handgrad.app.train.AugmentedModel.Recipe(2, true));
  }

  /** Parameters and buffers after the steps, by name (buffers prefixed "buffer:"). */
  private static Map<String, Tensor> state(Tiny t, GradientComputation g) {
    Solver s = t.solver();
    if (g != null) {
      s.gradientComputation(g);
    }
    Tiny.steps(s, STEPS);
    Map<String, Tensor> m = new java.util.LinkedHashMap<>(Tiny.params(s));
    Tiny.buffers(s).forEach((k, v) -> m.put("buffer:" + k, v));
    return m;
  }

  @Test
  void withBuffersOneWorkerIsStillBitIdenticalToTheLocalRun() {
    Tiny t = buffered();
    Map<String, Tensor> local = state(t, null);
    assertTrue(
        local
            .keySet()
            .containsAll(
                List.of(
                    "buffer:bn1.running_mean",
                    "buffer:bn1.num_batches_tracked",
                    "buffer:dropout.rng_state",
                    "buffer:augment.rng_state")),
        local.keySet().toString());
    JavaSparkContext sc = TestSpark.get("local[2]");
    assertBitIdentical(local, state(t, new DataParallelGradients(sc, 1, t.specJson(), 0)));
  }

  /**
   * K = 2 on a model with every kind of buffer: the same shards computed one after the other in
   * this process, each on a replica loaded with the driver's parameters and buffers (shard 1 with
   * its derived streams), then the documented merge, give the Spark run bit for bit; and two Spark
   * runs agree, so nothing depends on task timing.
   */
  @Test
  void withBuffersTwoWorkersEqualTheSameShardsMergedAsDocumented() {
    Tiny t = buffered();
    Model replica = t.spec.buildModel();
    GradientComputation sequential =
        (model, x, y) -> {
          int b = y.length;
          List<Parameter> ps = model.parameters();
          DataParallelGradients.StepValues v =
              new DataParallelGradients.StepValues(
                  DataParallelGradients.ParamValues.of(ps),
                  DataParallelGradients.BufferValues.of(model.buffers()));
          List<DataParallelGradients.ShardResult> results = new java.util.ArrayList<>();
          for (int k = 0; k < 2; k++) {
            int from = k * b / 2;
            int to = (k + 1) * b / 2;
            results.add(
                DataParallelGradients.step(
                    replica, v, DataParallelGradients.Shard.of(k, x.contiguous(), y, from, to)));
          }
          double loss = 0;
          for (int i = 0; i < ps.size(); i++) {
            double[] sum = new double[ps.get(i).size()];
            for (DataParallelGradients.ShardResult r : results) {
              r.grads().addScaledTo(i, (double) r.rows() / b, sum);
            }
            ps.get(i).zeroGrad();
            ps.get(i)
                .accumulateGrad(
                    DataParallelGradients.ParamValues.tensor(
                        sum, ps.get(i).dtype(), ps.get(i).shape()));
          }
          for (DataParallelGradients.ShardResult r : results) {
            loss += (double) r.rows() / b * r.loss();
          }
          DataParallelGradients.mergeBuffers(model.buffers(), results, b);
          return loss;
        };
    JavaSparkContext sc = TestSpark.get("local[2]");
    Map<String, Tensor> spark = state(t, new DataParallelGradients(sc, 2, t.specJson(), 0));
    assertBitIdentical(state(t, sequential), spark);
    assertBitIdentical(spark, state(t, new DataParallelGradients(sc, 2, t.specJson(), 0)));
    // Per-shard statistics and streams: not the single-process run.
    assertTrue(maxRelDiff(state(t, null), spark) > 1e-4);
    // One step per shard: the counter advanced by STEPS, not 2 x STEPS.
    assertEquals(STEPS, (int) spark.get("buffer:bn1.num_batches_tracked").to(DType.FLOAT64).item());
  }

  @Test
  void mergingAveragesStatisticsByRowsAndKeepsShardZerosStreamAndCounters() {
    Map<String, Tensor> live = new java.util.LinkedHashMap<>();
    live.put("bn.running_mean", Tensor.zeros(DType.FLOAT64, 2));
    live.put("bn.num_batches_tracked", Tensor.zeros(DType.INT32));
    live.put("dropout.rng_state", Tensor.zeros(DType.INT32, 2));
    live.put("table", Tensor.zeros(DType.FLOAT32, 1));
    List<DataParallelGradients.ShardResult> shards =
        List.of(
            shard(0, 1, new double[] {1, 2}, 5, new int[] {7, 8}, 0.1f),
            shard(1, 3, new double[] {5, 6}, 5, new int[] {9, 9}, 0.1f));
    DataParallelGradients.mergeBuffers(live, shards, 4);
    assertArrayEquals(new double[] {4, 5}, live.get("bn.running_mean").toDoubleArray());
    assertEquals(5, (int) live.get("bn.num_batches_tracked").to(DType.FLOAT64).item());
    assertArrayEquals(new int[] {7, 8}, live.get("dropout.rng_state").toIntArray());
    // unchanged by every shard: kept exactly (a weighted mean could round it)
    assertEquals(0.1f, live.get("table").toFloatArray()[0]);
  }

  private static DataParallelGradients.ShardResult shard(
      int k, int rows, double[] mean, int count, int[] stream, float table) {
    return new DataParallelGradients.ShardResult(
        k,
        rows,
        0,
        new DataParallelGradients.ParamValues(List.of(), List.of()),
        new DataParallelGradients.BufferValues(
            List.of(mean, new int[] {count}, stream, new float[] {table})));
  }

  @Test
  void shardStreamsDifferFromTheDriversAndFromEachOther() {
    int[] driver = {1, 2, 3, 4, 5, 6, 7, 8};
    int[] one = DataParallelGradients.shardStream(driver, 1);
    int[] two = DataParallelGradients.shardStream(driver, 2);
    assertArrayEquals(one, DataParallelGradients.shardStream(driver.clone(), 1));
    assertTrue(!java.util.Arrays.equals(driver, one) && !java.util.Arrays.equals(one, two));
    assertTrue(DataParallelGradients.isStream("augment.rng_state"));
    assertTrue(DataParallelGradients.isStream("rng_state"));
    assertTrue(!DataParallelGradients.isStream("bn1.running_mean"));
  }
}
