package org.handgrad.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.handgrad.io.Safetensors;
import org.handgrad.nn.Parameter;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class OptimizerTest {

  /** Two parameters of different shapes and dtypes with deterministic values. */
  private static List<Parameter> params() {
    Tensor w = Tensor.zeros(DType.FLOAT64, 3, 2);
    Tensor b = Tensor.zeros(DType.FLOAT32, 2);
    for (int i = 0; i < 6; i++) {
      w.setFlat(i, Math.cos(i) - 0.3);
    }
    b.setFlat(0, 0.5);
    b.setFlat(1, -0.25);
    return List.of(new Parameter("fc.w", w), new Parameter("fc.b", b));
  }

  /** A made-up gradient for step s, as a backward pass would accumulate it. */
  private static void fillGrads(List<Parameter> ps, int s) {
    for (Parameter p : ps) {
      p.zeroGrad();
      Tensor g = Tensor.zerosLike(p.value());
      for (int i = 0; i < g.size(); i++) {
        g.setFlat(i, Math.sin(7 * s + 3 * i + p.size()) + 0.1 * p.value().getFlat(i));
      }
      p.accumulateGrad(g);
    }
  }

  private static void train(Optimizer opt, List<Parameter> ps, int from, int to) {
    for (int s = from; s < to; s++) {
      fillGrads(ps, s);
      opt.setLearningRate(new LrSchedule.Exponential(0.05, 0.9).lr(s));
      opt.step(ps);
    }
  }

  @Test
  void stepMatchesTheFunctionFormPerParameter() {
    List<Parameter> ps = params();
    Tensor w = ps.get(0).value().copy();
    Optimizer opt = new Optimizer(new Adam(0.01, 0.9, 0.999, 1e-8));
    ParamState.Moments s = null;
    for (int step = 0; step < 3; step++) {
      fillGrads(ps, step);
      s = UpdateRules.adam(w, ps.get(0).grad(), new Adam(0.01, 0.9, 0.999, 1e-8), s);
      opt.step(ps);
    }
    assertArrayEquals(w.toDoubleArray(), ps.get(0).value().toDoubleArray(), 0.0);
    assertEquals(3, ((ParamState.Moments) opt.state("fc.b")).t());
    assertNull(opt.state("nope"));
  }

  /** Save mid-run, restore into fresh objects, continue: bit-for-bit the uninterrupted run. */
  @ParameterizedTest
  @ValueSource(strings = {"sgd", "sgd_momentum", "nesterov", "rmsprop", "adam", "adamw"})
  void checkpointResumesExactly(String name, @TempDir Path dir) throws IOException {
    List<Parameter> straight = params();
    Optimizer a = new Optimizer(UpdateRule.byName(name));
    train(a, straight, 0, 6);

    List<Parameter> first = params();
    Optimizer b = new Optimizer(UpdateRule.byName(name));
    train(b, first, 0, 3);
    Map<String, Tensor> checkpoint = new LinkedHashMap<>();
    for (Parameter p : first) {
      checkpoint.put("param." + p.name(), p.value());
    }
    for (Map.Entry<String, Tensor> e : b.stateDict().entrySet()) {
      checkpoint.put("optim." + e.getKey(), e.getValue());
    }
    Path file = dir.resolve("ckpt.safetensors");
    Safetensors.write(file, checkpoint, Map.of("update_rule", name));

    Safetensors.Contents loaded = Safetensors.read(file);
    assertEquals(name, loaded.metadata().get("update_rule"));
    List<Parameter> resumed = params();
    Map<String, Tensor> optState = new LinkedHashMap<>();
    for (Map.Entry<String, Tensor> e : loaded.tensors().entrySet()) {
      if (e.getKey().startsWith("optim.")) {
        optState.put(e.getKey().substring(6), e.getValue());
      }
    }
    for (Parameter p : resumed) {
      p.assign(loaded.tensors().get("param." + p.name()));
    }
    Optimizer c = new Optimizer(UpdateRule.byName(name));
    c.loadStateDict(optState, resumed);
    assertEquals(b.learningRate(), c.learningRate());
    train(c, resumed, 3, 6);
    for (int i = 0; i < straight.size(); i++) {
      assertArrayEquals(
          straight.get(i).value().toDoubleArray(),
          resumed.get(i).value().toDoubleArray(),
          0.0,
          name + " " + straight.get(i).name());
    }
  }

  @Test
  void stateDictNamesEntriesByParameter() {
    List<Parameter> ps = params();
    Optimizer opt = new Optimizer(new Adam());
    fillGrads(ps, 0);
    opt.step(ps);
    Map<String, Tensor> sd = opt.stateDict();
    assertEquals(
        List.of("learning_rate", "fc.w.m", "fc.w.v", "fc.w.t", "fc.b.m", "fc.b.v", "fc.b.t"),
        new ArrayList<>(sd.keySet()));
    assertEquals(1, sd.get("fc.w.t").item());
    assertEquals(DType.FLOAT32, sd.get("fc.b.m").dtype());
    // Exported tensors are copies: changing them does not touch the optimizer.
    sd.get("fc.w.m").setFlat(0, 123);
    assertTrue(((ParamState.Moments) opt.state("fc.w")).m().getFlat(0) != 123);
  }

  @Test
  void loadRejectsMissingExtraAndMismatchedEntries() {
    List<Parameter> ps = params();
    Optimizer opt = new Optimizer(new SgdMomentum());
    fillGrads(ps, 0);
    opt.step(ps);
    Map<String, Tensor> good = opt.stateDict();

    Optimizer adam = new Optimizer(new Adam());
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> adam.loadStateDict(good, ps));
    assertTrue(e.getMessage().contains("fc.w.velocity"), e.getMessage());

    Map<String, Tensor> wrongShape = new LinkedHashMap<>(good);
    wrongShape.put("fc.w.velocity", Tensor.zeros(DType.FLOAT64, 2, 3));
    Optimizer fresh = new Optimizer(new SgdMomentum());
    e =
        assertThrows(
            IllegalArgumentException.class, () -> fresh.loadStateDict(wrongShape, params()));
    assertEquals(
        "loadStateDict: sgd_momentum state of fc.w velocity: expected (3, 2) float64, got (2, 3)"
            + " float64",
        e.getMessage());

    Map<String, Tensor> noLr = new LinkedHashMap<>(good);
    noLr.remove(Optimizer.LEARNING_RATE_KEY);
    assertThrows(IllegalArgumentException.class, () -> fresh.loadStateDict(noLr, params()));
    assertNull(fresh.state("fc.w"), "a failed load leaves the optimizer unchanged");

    // A parameter never stepped when saved starts fresh.
    Map<String, Tensor> onlyW = new LinkedHashMap<>(good);
    onlyW.remove("fc.b.velocity");
    fresh.loadStateDict(onlyW, params());
    assertNull(fresh.state("fc.b"));
    assertTrue(fresh.state("fc.w") instanceof ParamState.Velocity);
  }

  @Test
  void rejectsDuplicateNamesAndReportsTheParameter() {
    Parameter p = new Parameter("w", Tensor.zeros(DType.FLOAT64, 2));
    Parameter q = new Parameter("w", Tensor.zeros(DType.FLOAT64, 2));
    Optimizer opt = new Optimizer(new Sgd());
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> opt.step(List.of(p, q)));
    assertTrue(e.getMessage().contains("appears twice"), e.getMessage());

    Optimizer mom = new Optimizer(new SgdMomentum());
    mom.step(List.of(p));
    Parameter reshaped = new Parameter("w", Tensor.zeros(DType.FLOAT64, 3));
    e = assertThrows(IllegalArgumentException.class, () -> mom.step(List.of(reshaped)));
    assertEquals(
        "parameter w: sgd_momentum: state velocity is (2,) float64 but w is (3,) float64",
        e.getMessage());
  }

  @Test
  void learningRateChangesKeepTheState() {
    List<Parameter> ps = params();
    Optimizer opt = new Optimizer(new RmsProp());
    fillGrads(ps, 0);
    opt.step(ps);
    ParamState before = opt.state("fc.w");
    opt.setLearningRate(0.5);
    assertEquals(0.5, opt.rule().learningRate());
    assertEquals(0.99, ((RmsProp) opt.rule()).decayRate());
    assertTrue(before == opt.state("fc.w"));
    assertThrows(IllegalArgumentException.class, () -> opt.setLearningRate(-1));
  }
}
