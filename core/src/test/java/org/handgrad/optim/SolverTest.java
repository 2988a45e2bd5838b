package org.handgrad.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.handgrad.nn.Metrics;
import org.handgrad.nn.Model;
import org.handgrad.nn.Parameter;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

class SolverTest {
  private static final Solver.Data DATA = TinyNet.blobs(DType.FLOAT64, 60, 30, 5, 0.8, 7);

  private static TinyNet net(long seed) {
    return new TinyNet(DType.FLOAT64, 5, 8, 3, 1e-3, 0.1, seed);
  }

  private static SolverOptions.Builder quiet() {
    return SolverOptions.builder().verbose(false).batchSize(25).numEpochs(3).seed(11);
  }

  /** Records every event. */
  private static final class Recorder implements SolverListener {
    final List<Iteration> iterations = new ArrayList<>();
    final List<Accuracy> checks = new ArrayList<>();
    final List<Map<String, double[]>> paramsAtCheck = new ArrayList<>();
    final List<Start> starts = new ArrayList<>();
    final List<Finish> finishes = new ArrayList<>();
    private final Model model;

    Recorder(Model model) {
      this.model = model;
    }

    @Override
    public void trainingStarted(Start start) {
      starts.add(start);
    }

    @Override
    public void iterationDone(Iteration it) {
      iterations.add(it);
    }

    @Override
    public void accuracyChecked(Accuracy acc) {
      checks.add(acc);
      Map<String, double[]> values = new LinkedHashMap<>();
      for (Parameter p : model.parameters()) {
        values.put(p.name(), p.value().toDoubleArray());
      }
      paramsAtCheck.add(values);
    }

    @Override
    public void trainingFinished(Finish finish) {
      finishes.add(finish);
    }
  }

  @Test
  void runsCs231nScheduleOfIterationsAndAccuracyChecks() {
    TinyNet model = net(1);
    Solver solver = new Solver(model, DATA, quiet().build());
    Recorder rec = new Recorder(model);
    solver.addListener(rec);
    assertEquals(Solver.Status.COMPLETED, solver.train());
    // N = 60, batch 25: max(60 / 25, 1) = 2 iterations per epoch, 3 epochs.
    assertEquals(2, solver.iterationsPerEpoch());
    assertEquals(6, solver.numIterations());
    assertEquals(6, solver.lossHistory().size());
    assertEquals(6, rec.iterations.size());
    // Checks after the first iteration and at each epoch end (the last iteration is one).
    assertEquals(List.of(1, 2, 4, 6), rec.checks.stream().map(a -> a.iteration()).toList());
    assertEquals(List.of(0, 1, 2, 3), rec.checks.stream().map(a -> a.epoch()).toList());
    assertEquals(4, solver.trainAccHistory().size());
    assertEquals(4, solver.valAccHistory().size());
    assertEquals(3, solver.epoch());
    assertEquals(6, solver.iteration());
    assertEquals(1, rec.starts.size());
    assertEquals(new SolverListener.Start(0, 6, 2, 3), rec.starts.get(0));
    assertEquals(Solver.Status.COMPLETED, rec.finishes.get(0).status());
    for (int i = 0; i < 6; i++) {
      SolverListener.Iteration it = rec.iterations.get(i);
      assertEquals(i + 1, it.iteration());
      assertEquals(i / 2, it.epoch());
      assertEquals(solver.lossHistory().get(i), it.loss());
      assertTrue(it.imagesPerSecond() > 0 && it.gradNorm() > 0);
    }
  }

  @Test
  void smallTrainingSetGivesOneIterationPerEpochOverAllExamples() {
    Solver.Data tiny = TinyNet.blobs(DType.FLOAT64, 7, 5, 5, 0.8, 3);
    Solver solver = new Solver(net(1), tiny, quiet().batchSize(100).numEpochs(4).build());
    solver.train();
    assertEquals(1, solver.iterationsPerEpoch());
    assertEquals(4, solver.lossHistory().size());
    // Checks at iterations 1 (first and epoch end at once), 2, 3, 4.
    assertEquals(4, solver.valAccHistory().size());
  }

  @Test
  void learnsSeparableBlobs() {
    Solver solver =
        new Solver(
            net(2),
            DATA,
            quiet().updateRule("adam", Map.of("learning_rate", 2e-2)).numEpochs(15).build());
    solver.train();
    List<Double> loss = solver.lossHistory();
    assertTrue(loss.get(loss.size() - 1) < 0.5 * loss.get(0), "loss " + loss);
    assertTrue(solver.bestValAcc() >= 0.9, "val acc " + solver.valAccHistory());
  }

  @Test
  void restoresTheParametersOfTheBestValidationAccuracy() {
    TinyNet model = net(3);
    // A large rate makes validation accuracy move around, so the best check is not the last.
    Solver solver =
        new Solver(
            model,
            TinyNet.blobs(DType.FLOAT64, 60, 30, 5, 2.5, 5),
            quiet().updateRule("sgd", Map.of("learning_rate", 0.5)).numEpochs(8).build());
    Recorder rec = new Recorder(model);
    solver.addListener(rec);
    solver.train();
    double best = solver.valAccHistory().stream().mapToDouble(d -> d).max().orElseThrow();
    assertEquals(best, solver.bestValAcc());
    int firstBest = solver.valAccHistory().indexOf(best);
    int last = rec.checks.size() - 1;
    assertTrue(firstBest < last, "the test needs a best before the end: " + solver.valAccHistory());
    assertFalse(
        Arrays.equals(
            rec.paramsAtCheck.get(last).get("W1"),
            model.parameters().get(0).value().toDoubleArray()),
        "the last parameters were replaced");
    assertTrue(rec.checks.get(firstBest).improved());
    for (int i = firstBest + 1; i < rec.checks.size(); i++) {
      assertFalse(rec.checks.get(i).improved(), "only strict improvements count");
    }
    for (Parameter p : model.parameters()) {
      assertArrayEquals(
          rec.paramsAtCheck.get(firstBest).get(p.name()), p.value().toDoubleArray(), p.name());
      assertArrayEquals(
          solver.bestParams().get(p.name()).toDoubleArray(), p.value().toDoubleArray());
    }
    // The restored model scores the best validation accuracy again.
    int[] pred = solver.predict(DATA.xVal(), 7);
    assertEquals(pred.length, DATA.yVal().length);
  }

  @Test
  void sameSeedSameRunOtherSeedOtherRun() {
    Solver a = new Solver(net(4), DATA, quiet().build());
    Solver b = new Solver(net(4), DATA, quiet().build());
    Solver c = new Solver(net(4), DATA, quiet().seed(12).build());
    a.train();
    b.train();
    c.train();
    assertEquals(a.lossHistory(), b.lossHistory());
    assertEquals(a.valAccHistory(), b.valAccHistory());
    assertNotEquals(a.lossHistory(), c.lossHistory());
  }

  @Test
  void minibatchesOfAnEpochArePermutationWithoutRepeats() {
    // A model recording the label multiset it sees: labels = example ids here.
    int n = 12;
    Tensor x = Tensor.zeros(DType.FLOAT64, n, 1);
    int[] y = new int[n];
    for (int i = 0; i < n; i++) {
      x.setFlat(i, i);
      y[i] = i;
    }
    List<Integer> seen = new ArrayList<>();
    Model recorder =
        new Model() {
          final Parameter w = new Parameter("w", Tensor.zeros(DType.FLOAT64, 1));

          @Override
          public List<Parameter> parameters() {
            return List.of(w);
          }

          @Override
          public Tensor loss(Tensor xb) {
            return Tensor.zeros(DType.FLOAT64, xb.shape(0), 2);
          }

          @Override
          public double loss(Tensor xb, int[] yb) {
            for (int i = 0; i < yb.length; i++) {
              assertEquals(yb[i], (int) xb.get(i, 0), "rows and labels stay paired");
              seen.add(yb[i]);
            }
            return 1.0;
          }
        };
    Solver s =
        new Solver(
            recorder, new Solver.Data(x, y, x, y), quiet().batchSize(4).numEpochs(2).build());
    s.train();
    assertEquals(24, seen.size());
    assertEquals(12, new HashSet<>(seen.subList(0, 12)).size(), "epoch 1 sees every example once");
    assertEquals(12, new HashSet<>(seen.subList(12, 24)).size(), "epoch 2 too");
    assertNotEquals(seen.subList(0, 12), seen.subList(12, 24), "reshuffled per epoch");
  }

  @Test
  void lrDecayMultipliesTheRateAfterEveryEpoch() {
    Solver solver =
        new Solver(
            net(5),
            DATA,
            quiet().updateRule("sgd_momentum", Map.of("learning_rate", 0.1)).lrDecay(0.5).build());
    Recorder rec = new Recorder(solver.model());
    solver.addListener(rec);
    solver.train();
    assertEquals(0.1 * 0.5 * 0.5 * 0.5, solver.optimizer().learningRate(), 1e-18);
    List<Double> used = rec.iterations.stream().map(i -> i.learningRate()).toList();
    assertEquals(List.of(0.1, 0.1, 0.05, 0.05, 0.025, 0.025), used);
  }

  @Test
  void scheduleSetsTheRateOfEveryIteration() {
    LrSchedule schedule = new LrSchedule.WarmUp(2, 0.5, new LrSchedule.Cosine(0.1, 0.0, 4));
    Solver solver =
        new Solver(net(5), DATA, quiet().updateRule("adam").lrSchedule(schedule).build());
    Recorder rec = new Recorder(solver.model());
    solver.addListener(rec);
    solver.train();
    for (int t = 0; t < 6; t++) {
      assertEquals(schedule.lr(t), rec.iterations.get(t).learningRate(), "t=" + t);
    }
  }

  @Test
  void clippingBoundsEachSgdStep() {
    double lr = 0.5;
    double clip = 1e-3;
    TinyNet model = net(6);
    Solver solver =
        new Solver(
            model,
            DATA,
            quiet().updateRule("sgd", Map.of("learning_rate", lr)).gradClipNorm(clip).build());
    List<double[]> previous = new ArrayList<>(values(model));
    List<Double> moves = new ArrayList<>();
    solver.addListener(
        new SolverListener() {
          @Override
          public void iterationDone(Iteration it) {
            assertTrue(it.gradNorm() > 10 * clip, "the test needs gradients above the clip norm");
            List<double[]> now = values(model);
            double sq = 0;
            for (int k = 0; k < now.size(); k++) {
              for (int i = 0; i < now.get(k).length; i++) {
                double d = now.get(k)[i] - previous.get(k)[i];
                sq += d * d;
              }
            }
            moves.add(Math.sqrt(sq));
            previous.clear();
            previous.addAll(now);
          }
        });
    solver.train();
    assertEquals(6, moves.size());
    for (double m : moves) {
      // sgd moves by lr * clipped gradient, whose norm is clip * norm / (norm + 1e-6).
      assertTrue(m <= lr * clip && m > 0.99 * lr * clip, "step of norm " + m);
    }
  }

  private static List<double[]> values(Model model) {
    List<double[]> out = new ArrayList<>();
    for (Parameter p : model.parameters()) {
      out.add(p.value().toDoubleArray());
    }
    return out;
  }

  @Test
  void checkAccuracySubsamplesWithTheSolversStreamOrUsesAll() {
    TinyNet model = net(7);
    Solver solver = new Solver(model, DATA, quiet().build());
    double all = solver.checkAccuracy(DATA.xTrain(), DATA.yTrain(), null, 7);
    assertEquals(Metrics.accuracy(DATA.yTrain(), solver.predict(DATA.xTrain(), 60)), all);
    assertEquals(all, solver.checkAccuracy(DATA.xTrain(), DATA.yTrain(), 1000, 13));
    // A subsample of 20 has accuracy k/20.
    double sub = solver.checkAccuracy(DATA.xTrain(), DATA.yTrain(), 20, 6);
    assertEquals(Math.rint(sub * 20), sub * 20, 1e-12);
  }

  @Test
  void printsCs231nLines() {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    Solver solver = new Solver(net(8), DATA, quiet().build());
    solver.addListener(new PrintingListener(new PrintStream(buf, true, StandardCharsets.UTF_8), 4));
    solver.train();
    String[] lines = buf.toString(StandardCharsets.UTF_8).split("\\R");
    assertTrue(lines[0].matches("\\(Iteration 1 / 6\\) loss: \\d+\\.\\d{6}"), lines[0]);
    assertTrue(
        lines[1].matches("\\(Epoch 0 / 3\\) train acc: \\d\\.\\d{6}; val_acc: \\d\\.\\d{6}"),
        lines[1]);
    long iterationLines = List.of(lines).stream().filter(l -> l.startsWith("(Iteration")).count();
    assertEquals(2, iterationLines, "iterations 1 and 5 with printEvery 4");
    assertEquals(4, List.of(lines).stream().filter(l -> l.startsWith("(Epoch")).count());
  }

  @Test
  void stopRequestReturnsStoppedAndTrainContinues() {
    Solver reference = new Solver(net(9), DATA, quiet().build());
    reference.train();
    Solver solver = new Solver(net(9), DATA, quiet().build());
    solver.addListener(
        new SolverListener() {
          @Override
          public void iterationDone(Iteration it) {
            if (it.iteration() == 3) {
              solver.requestStop();
            }
          }
        });
    assertEquals(Solver.Status.STOPPED, solver.train());
    assertEquals(3, solver.iteration());
    assertEquals(Solver.Status.COMPLETED, solver.train());
    assertEquals(reference.lossHistory(), solver.lossHistory());
    assertEquals(reference.valAccHistory(), solver.valAccHistory());
  }

  // ---------------------------------------------------------------- numerical safety

  /** One parameter whose loss and gradient a test dictates. */
  private static final class Scripted implements Model {
    final Parameter w = new Parameter("fc.w", Tensor.zeros(DType.FLOAT64, 2, 2));
    final double loss;
    final double grad;
    final List<Boolean> scoresUnderNoGrad = new java.util.ArrayList<>();

    Scripted(double loss, double grad) {
      this.loss = loss;
      this.grad = grad;
    }

    @Override
    public List<Parameter> parameters() {
      return List.of(w);
    }

    @Override
    public Tensor loss(Tensor x) {
      scoresUnderNoGrad.add(org.handgrad.nn.NoGrad.active());
      return Tensor.zeros(DType.FLOAT64, x.shape(0), 2);
    }

    @Override
    public double loss(Tensor x, int[] y) {
      w.zeroGrad();
      w.grad().setFlat(3, grad);
      return loss;
    }
  }

  @Test
  void predictionsRunUnderNoGradAndLeaveItOff() {
    Scripted model = new Scripted(1.0, 0.5);
    Solver solver = new Solver(model, DATA, quiet().build());
    solver.predict(DATA.xVal(), 3);
    assertTrue(!model.scoresUnderNoGrad.isEmpty());
    assertTrue(
        model.scoresUnderNoGrad.stream().allMatch(b -> b), model.scoresUnderNoGrad.toString());
    assertTrue(!org.handgrad.nn.NoGrad.active());
  }

  @Test
  void divergingRunStopsNamingIterationParameterAndRate() {
    TinyNet model = net(10);
    Solver solver =
        new Solver(model, DATA, quiet().updateRule("sgd", Map.of("learning_rate", 1e150)).build());
    TrainingDivergedException e = assertThrows(TrainingDivergedException.class, solver::train);
    assertTrue(e.iteration() >= 2, "the first step is taken at a sane loss: " + e.iteration());
    assertTrue(e.finding().isPresent(), e.getMessage());
    Set<String> names = Set.of("W1", "b1", "W2", "b2");
    assertTrue(names.contains(e.finding().get().parameter()), e.getMessage());
    assertEquals(1e150, e.learningRate());
    assertTrue(e.getMessage().contains("iteration " + e.iteration()), e.getMessage());
    assertTrue(
        e.getMessage().contains("learning rate is too high (it is 1.00e+150"), e.getMessage());
    assertTrue(e.getMessage().contains("max-subtraction"), e.getMessage());
    assertTrue(e.getMessage().contains("initialization"), e.getMessage());
    assertEquals(e.iteration() - 1, solver.lossHistory().size(), "no garbage recorded");
  }

  @Test
  void nanLossStopsAtTheFirstIteration() {
    Solver solver = new Solver(new Scripted(Double.NaN, 1.0), DATA, quiet().build());
    TrainingDivergedException e = assertThrows(TrainingDivergedException.class, solver::train);
    assertEquals(TrainingDivergedException.Stage.LOSS, e.stage());
    assertEquals(1, e.iteration());
    assertTrue(e.finding().isEmpty());
    assertTrue(e.getMessage().contains("the loss is NaN"), e.getMessage());
    assertTrue(e.getMessage().contains("every parameter and gradient is still finite"));
  }

  @Test
  void infiniteGradientIsNamedWithItsIndex() {
    Solver solver = new Solver(new Scripted(1.0, Double.POSITIVE_INFINITY), DATA, quiet().build());
    TrainingDivergedException e = assertThrows(TrainingDivergedException.class, solver::train);
    assertEquals(TrainingDivergedException.Stage.BACKWARD, e.stage());
    assertEquals("fc.w grad[3] = Infinity", e.finding().orElseThrow().toString());
    assertTrue(e.getMessage().contains("fc.w grad[3] = Infinity"), e.getMessage());
  }

  @Test
  void updateOverflowingAParameterIsCaughtAfterTheStep() {
    Solver solver =
        new Solver(
            new Scripted(1.0, 1e10),
            DATA,
            quiet().updateRule("sgd", Map.of("learning_rate", 1e300)).build());
    TrainingDivergedException e = assertThrows(TrainingDivergedException.class, solver::train);
    assertEquals(TrainingDivergedException.Stage.UPDATE, e.stage());
    assertEquals(1, e.iteration());
    assertEquals("fc.w value[3] = -Infinity", e.finding().orElseThrow().toString());
  }

  // ---------------------------------------------------------------- options and data

  @Test
  void optionsHaveCs231nDefaultsAndRoundTripThroughMaps() {
    SolverOptions d = SolverOptions.builder().build();
    assertEquals(new Sgd(1e-2), d.updateRule());
    assertEquals(1.0, d.lrDecay());
    assertEquals(100, d.batchSize());
    assertEquals(10, d.numEpochs());
    assertEquals(1000, d.numTrainSamples());
    assertEquals(null, d.numValSamples());
    assertEquals(10, d.printEvery());
    assertTrue(d.verbose());
    assertEquals(null, d.checkpointName());
    SolverOptions o =
        SolverOptions.builder()
            .updateRule("adamw", Map.of("learning_rate", 3e-4, "weight_decay", 0.05))
            .lrSchedule(new LrSchedule.WarmUp(10, 0.1, new LrSchedule.Cosine(3e-4, 1e-6, 90)))
            .numValSamples(500)
            .checkpointName("cifar")
            .gradClipNorm(5)
            .seed(-3)
            .model("fc_net", Map.of("hidden_dims", List.of(100, 50), "reg", 0.1))
            .build();
    assertEquals(o, SolverOptions.fromMap(o.toMap()));
    assertEquals(new AdamW(3e-4, 0.9, 0.999, 1e-8, 0.05), o.updateRule());
    assertEquals(List.of(100L, 50L), o.modelConfig().get("hidden_dims"), "normalized as JSON");
    assertEquals(d, SolverOptions.fromMap(d.toMap()));
  }

  @Test
  void badOptionsAreRejectedByName() {
    assertMessage("lrDecay", () -> SolverOptions.builder().lrDecay(1.5).build());
    assertMessage(
        "not both",
        () ->
            SolverOptions.builder().lrDecay(0.9).lrSchedule(new LrSchedule.Constant(0.1)).build());
    assertMessage("batchSize", () -> SolverOptions.builder().batchSize(0).build());
    assertMessage("checkpointName", () -> SolverOptions.builder().checkpointName("a/b").build());
    assertMessage("gradClipNorm", () -> SolverOptions.builder().gradClipNorm(-1).build());
    assertMessage(
        "unknown optim_config key 'momentum'",
        () -> SolverOptions.builder().updateRule("adam", Map.of("momentum", 0.9)).build());
    assertMessage("unknown update rule", () -> SolverOptions.builder().updateRule("lbfgs"));
  }

  @Test
  void dataMustPairInputsAndLabels() {
    Tensor x = Tensor.zeros(DType.FLOAT64, 4, 3);
    Tensor xv = Tensor.zeros(DType.FLOAT64, 2, 3);
    assertMessage("(4, 3) and 3 labels", () -> new Solver.Data(x, new int[3], xv, new int[2]));
    assertMessage(
        "share the shape after N",
        () -> new Solver.Data(x, new int[4], Tensor.zeros(DType.FLOAT64, 2, 4), new int[2]));
    assertMessage(
        "share the shape after N",
        () -> new Solver.Data(x, new int[4], Tensor.zeros(DType.FLOAT32, 2, 3), new int[2]));
  }

  private static void assertMessage(String part, Runnable r) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
    assertTrue(e.getMessage().contains(part), e.getMessage());
  }

  // ---------------------------------------------------------------- the random stream

  @Test
  void splitMix64IsTheAlgorithmOfSplittableRandom() {
    for (long seed : new long[] {0, 1, -7, 0x123456789abcdefL}) {
      SplitMix64 mine = new SplitMix64(seed);
      SplittableRandom jdk = new SplittableRandom(seed);
      for (int i = 0; i < 100; i++) {
        assertEquals(jdk.nextLong(), mine.nextLong(), "seed " + seed + " draw " + i);
      }
    }
    assertEquals(0xe220a8397b1dcdafL, new SplitMix64(0).nextLong(), "published first output");
  }

  @Test
  void splitMix64StateContinuesTheStream() {
    SplitMix64 a = new SplitMix64(42);
    a.permutation(10);
    SplitMix64 b = new SplitMix64(0);
    b.setState(a.state());
    for (int i = 0; i < 50; i++) {
      assertEquals(a.nextInt(1 + i), b.nextInt(1 + i));
    }
  }

  @Test
  void nextIntIsInRangeAndRoughlyUniform() {
    SplitMix64 r = new SplitMix64(5);
    int bound = 7;
    int draws = 70_000;
    int[] counts = new int[bound];
    for (int i = 0; i < draws; i++) {
      counts[r.nextInt(bound)]++;
    }
    double chi2 = 0;
    double expected = (double) draws / bound;
    for (int c : counts) {
      chi2 += (c - expected) * (c - expected) / expected;
    }
    assertTrue(chi2 < 22.5, "chi^2 with 6 degrees of freedom, p = 0.001: " + chi2);
    assertEquals(0, new SplitMix64(1).nextInt(1));
    assertThrows(IllegalArgumentException.class, () -> r.nextInt(0));
    // Huge bounds still land in range (the rejection branch).
    for (int i = 0; i < 1000; i++) {
      int v = r.nextInt(Integer.MAX_VALUE);
      assertTrue(v >= 0 && v < Integer.MAX_VALUE);
    }
    int[] p = r.permutation(50);
    int[] sorted = p.clone();
    Arrays.sort(sorted);
    for (int i = 0; i < 50; i++) {
      assertEquals(i, sorted[i]);
    }
  }
}
