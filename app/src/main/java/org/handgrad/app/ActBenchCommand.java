package org.handgrad.app;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.handgrad.nn.functional.Activations;
import org.handgrad.nn.functional.Forward;
import org.handgrad.nn.functional.LayerNorm;
import org.handgrad.nn.functional.Softmax;
import org.handgrad.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code handgrad bench act}: float32 forward + backward times of the transformer's elementwise and
 * row ops (GELU exact and tanh, sigmoid, SiLU, softmax along the last axis, LayerNorm) on the
 * activation shapes of a small ViT / captioning transformer: (64*17, 256), batch 64 of 17 tokens by
 * 256 features, and (64*4*17, 17), the attention weights of 4 heads over 17 keys. The PyTorch twin,
 * run in the same sitting, is {@code scripts/bench/act_torch.py}.
 */
@Command(
    name = "act",
    mixinStandardHelpOptions = true,
    description = {
      "float32 activations, softmax and LayerNorm: median and fastest time of one forward +"
          + " backward pair (on a shared machine the minimum shows the undisturbed speed).",
      "Compare with: /usr/bin/python3 scripts/bench/act_torch.py (PyTorch, 2 threads)."
    })
final class ActBenchCommand implements Runnable {
  @Mixin BenchCommand.Options options;

  @Option(
      names = "--shapes",
      split = ",",
      paramLabel = "RxD",
      defaultValue = "1088x256,4352x17",
      description = "Rows x features of the float32 inputs (default: ${DEFAULT-VALUE}).")
  List<String> shapes;

  @Option(
      names = "--warmup-ms",
      paramLabel = "MS",
      defaultValue = "2000",
      description =
          "Run each case untimed for this long first (default: ${DEFAULT-VALUE}): C2 needs a"
              + " while to compile the Vector API kernels, longer on a loaded machine, and until"
              + " then they run interpreted, 10-100x slower.")
  int warmupMs;

  /** Sum of results, printed so the JIT cannot drop the timed work. */
  private double sink;

  @Override
  public void run() {
    options.apply();
    options.printHeader(
        System.out,
        "handgrad bench act (float32, forward + backward, "
            + warmupMs
            + " ms JIT warm-up per case)");
    BenchCommand.Table table =
        new BenchCommand.Table("op", "shape", "median us", "min us", "ns/element");
    for (String s : shapes) {
      String[] rd = s.toLowerCase(Locale.ROOT).split("x");
      if (rd.length != 2) {
        throw new IllegalArgumentException("bench act: --shapes takes RxD, got '" + s + "'");
      }
      int r = Integer.parseInt(rd[0].trim());
      int d = Integer.parseInt(rd[1].trim());
      for (Case c : cases(r, d)) {
        Runnable work = () -> consume(c.work().get());
        long warmEnd = System.nanoTime() + warmupMs * 1_000_000L;
        for (int i = 0; i < options.warmup || System.nanoTime() < warmEnd; i++) {
          work.run();
        }
        double[] times = new double[options.runs];
        for (int i = 0; i < times.length; i++) {
          long t0 = System.nanoTime();
          work.run();
          times[i] = (System.nanoTime() - t0) * 1e-9;
        }
        Arrays.sort(times);
        int m = times.length / 2;
        double t = times.length % 2 == 1 ? times[m] : 0.5 * (times[m - 1] + times[m]);
        table.add(
            c.name(),
            "(" + r + ", " + d + ")",
            String.format(Locale.ROOT, "%.1f", t * 1e6),
            String.format(Locale.ROOT, "%.1f", times[0] * 1e6),
            String.format(Locale.ROOT, "%.2f", t * 1e9 / ((double) r * d)));
      }
    }
    table.print(System.out);
    System.out.printf(Locale.ROOT, "%n(checksum %.3g)%n", sink);
  }

  /** One timed op: the work returns the tensors it produced. */
  record Case(String name, Supplier<List<Tensor>> work) {}

  private List<Case> cases(int r, int d) {
    SplittableRandom rng = new SplittableRandom(17);
    Tensor x = randn(rng, r, d, 1.0);
    Tensor scores = randn(rng, r, d, 3.0);
    Tensor dout = randn(rng, r, d, 1.0);
    Tensor gamma = randn(rng, 1, d, 1.0).reshape(d);
    Tensor beta = randn(rng, 1, d, 1.0).reshape(d);
    List<Case> cases = new ArrayList<>();
    cases.add(
        new Case(
            "gelu",
            () -> {
              Forward<Activations.GeluCache> f = Activations.geluForward(x);
              return List.of(f.out(), Activations.geluBackward(dout, f.cache()));
            }));
    cases.add(
        new Case(
            "gelu_tanh",
            () -> {
              Forward<Activations.GeluTanhCache> f = Activations.geluTanhForward(x);
              return List.of(f.out(), Activations.geluTanhBackward(dout, f.cache()));
            }));
    cases.add(
        new Case(
            "sigmoid",
            () -> {
              Forward<Activations.SigmoidCache> f = Activations.sigmoidForward(x);
              return List.of(f.out(), Activations.sigmoidBackward(dout, f.cache()));
            }));
    cases.add(
        new Case(
            "silu",
            () -> {
              Forward<Activations.SiluCache> f = Activations.siluForward(x);
              return List.of(f.out(), Activations.siluBackward(dout, f.cache()));
            }));
    cases.add(
        new Case(
            "softmax (last axis)",
            () -> {
              Forward<Softmax.Cache> f = Softmax.softmaxForward(scores);
              return List.of(f.out(), Softmax.softmaxBackward(dout, f.cache()));
            }));
    cases.add(
        new Case(
            "layernorm",
            () -> {
              Forward<LayerNorm.Cache> f =
                  LayerNorm.layernormForward(x, gamma, beta, LayerNorm.DEFAULT_EPS);
              return List.of(f.out(), LayerNorm.layernormBackward(dout, f.cache()).dx());
            }));
    return cases;
  }

  private void consume(List<Tensor> ts) {
    for (Tensor t : ts) {
      sink += t.floatStorage()[t.size() / 2];
    }
  }

  private static Tensor randn(SplittableRandom rng, int r, int d, double scale) {
    float[] a = new float[r * d];
    for (int i = 0; i < a.length; i++) {
      a[i] = (float) (scale * rng.nextGaussian());
    }
    return Tensor.of(a, r, d);
  }
}
