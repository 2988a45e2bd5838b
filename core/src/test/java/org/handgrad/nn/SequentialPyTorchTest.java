package org.handgrad.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.handgrad.nn.functional.ConvParam;
import org.handgrad.nn.functional.PoolParam;
import org.handgrad.nn.init.Init;
import org.handgrad.nn.init.WeightInit;
import org.handgrad.nn.modules.AvgPool2d;
import org.handgrad.nn.modules.BatchNorm1d;
import org.handgrad.nn.modules.BatchNorm2d;
import org.handgrad.nn.modules.Conv2d;
import org.handgrad.nn.modules.ConvTranspose2d;
import org.handgrad.nn.modules.ELU;
import org.handgrad.nn.modules.Flatten;
import org.handgrad.nn.modules.GELU;
import org.handgrad.nn.modules.GroupNorm;
import org.handgrad.nn.modules.LayerNorm;
import org.handgrad.nn.modules.LeakyReLU;
import org.handgrad.nn.modules.Linear;
import org.handgrad.nn.modules.MaxPool2d;
import org.handgrad.nn.modules.ReLU;
import org.handgrad.nn.modules.SELU;
import org.handgrad.nn.modules.SiLU;
import org.handgrad.nn.modules.Sigmoid;
import org.handgrad.nn.modules.Tanh;
import org.handgrad.nn.modules.Upsample;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.handgrad.testing.Fixtures;
import org.handgrad.testing.Golden;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Two Sequential networks against the same torch.nn.Sequential (scripts/fixtures/modules.py): two
 * training batches (outputs, dx, gradients accumulated over both, running statistics), then one
 * evaluation batch with PyTorch's running statistics loaded. Within 1e-10 (float64) and 1e-5
 * (float32) of PyTorch, measured as max|a - b| / max|b|.
 */
class SequentialPyTorchTest {
  private static final Map<String, Tensor> FX = Fixtures.load("modules");

  /** Mirrors modules.py's mlp(): the initial values are replaced by the fixture's. */
  static Sequential mlp(DType dt) {
    var rng = Init.rng(0);
    return new Sequential(
        new Linear(5, 6, false, dt, WeightInit.pytorch(), rng),
        new BatchNorm1d(6, dt),
        new ReLU(),
        new Linear(6, 5, dt, rng),
        new LayerNorm(5, dt),
        new ELU(0.5),
        new Linear(5, 4, dt, rng),
        new SELU(),
        new Linear(4, 3, dt, rng),
        new Sigmoid());
  }

  /** Mirrors modules.py's convnet(). */
  static Sequential convnet(DType dt) {
    var rng = Init.rng(0);
    return new Sequential(
        new Conv2d(2, 3, 3, 3, new ConvParam(1, 1), false, dt, WeightInit.pytorch(), rng),
        new BatchNorm2d(3, dt),
        new ReLU(),
        new MaxPool2d(2),
        new Conv2d(3, 4, 3, new ConvParam(1, 1), dt, rng),
        new GroupNorm(2, 4, dt),
        new GELU(GELU.Approximate.TANH),
        new ConvTranspose2d(4, 2, 2, new ConvParam(2, 0), dt, rng),
        new LeakyReLU(0.2),
        new Upsample(2, Upsample.Mode.BILINEAR),
        new AvgPool2d(new PoolParam(4, 4, 4)),
        new SiLU(),
        new Flatten(),
        new Linear(18, 3, dt, rng),
        new Tanh());
  }

  private static Tensor fx(String key) {
    return Fixtures.get(FX, key);
  }

  private static Tensor in(String key, DType dt) {
    Tensor t = fx(key);
    return dt == DType.FLOAT64 ? t : t.to(dt);
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({
    "mlp, f64, 8, 1e-10",
    "mlp, f32, 8, 1e-5",
    "convnet, f64, 108, 1e-10",
    "convnet, f32, 108, 1e-5"
  })
  void matchesTorchNnSequential(String name, String sfx, int batchCount, double tol) {
    DType dt = sfx.equals("f64") ? DType.FLOAT64 : DType.FLOAT32;
    Function<DType, Sequential> make =
        name.equals("mlp") ? SequentialPyTorchTest::mlp : SequentialPyTorchTest::convnet;
    Sequential net = make.apply(dt);
    // Our parameter names are PyTorch's named_parameters(), so the fixture keys line up.
    List<String> names = new ArrayList<>();
    for (Parameter p : net.parameters()) {
      p.assign(in(name + "_p_" + p.name() + "_f64", dt));
      names.add(p.name());
    }
    assertEquals(
        FX.keySet().stream()
            .filter(k -> k.startsWith(name + "_p_"))
            .map(k -> k.substring(name.length() + 3, k.length() - 4))
            .sorted()
            .toList(),
        names.stream().sorted().toList());

    for (int i = 0; i < 2; i++) {
      String step = name + " batch " + i + " ";
      Tensor out = net.forward(in(name + "_x" + i + "_f64", dt));
      Golden.assertClose(step + "out", out, fx(name + "_out" + i + "_" + sfx), tol);
      Tensor dx = net.backward(in(name + "_dout" + i + "_f64", dt));
      Golden.assertClose(step + "dx", dx, fx(name + "_dx" + i + "_" + sfx), tol);
    }
    for (Parameter p : net.parameters()) {
      Golden.assertClose(
          name + " accumulated grad " + p.name(),
          p.grad(),
          fx(name + "_g_" + p.name() + "_" + sfx),
          tol);
    }

    // Running statistics: same mean; PyTorch's variance is the unbiased one, M/(M-1) ours
    // (both start at 0 here and see batches of the same size M).
    Map<String, Tensor> buffers = net.buffers();
    String bn = "1.";
    Tensor torchMean = fx(name + "_b_" + bn + "running_mean_" + sfx);
    Tensor torchVar = fx(name + "_b_" + bn + "running_var_" + sfx);
    Golden.assertClose(name + " running_mean", buffers.get(bn + "running_mean"), torchMean, tol);
    Tensor ours = buffers.get(bn + "running_var").copy();
    for (int j = 0; j < ours.size(); j++) {
      ours.setFlat(j, ours.getFlat(j) * batchCount / (batchCount - 1));
    }
    Golden.assertClose(name + " running_var * M/(M-1)", ours, torchVar, tol);
    assertEquals(2, buffers.get(bn + "num_batches_tracked").item());

    // Evaluation with PyTorch's statistics copied into the live buffers, as a checkpoint load.
    copyInto(buffers.get(bn + "running_mean"), torchMean);
    copyInto(buffers.get(bn + "running_var"), torchVar);
    net.eval();
    Golden.assertClose(
        name + " eval out",
        net.forward(in(name + "_x2_f64", dt)),
        fx(name + "_evalout_" + sfx),
        tol);
  }

  private static void copyInto(Tensor live, Tensor values) {
    for (int i = 0; i < live.size(); i++) {
      live.setFlat(i, values.getFlat(i));
    }
  }
}
