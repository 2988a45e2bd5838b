package org.handgrad.bench;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.handgrad.models.Models;
import org.handgrad.nn.Model;
import org.handgrad.optim.Adam;
import org.handgrad.optim.Optimizer;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * Training-step throughput of the stage 1-4 models on Fashion-MNIST-shaped batches: batch 64,
 * float32, Adam (lr 1e-3), one step = {@code loss(x, y)} (forward + backward) + the Adam update.
 * Timed like scripts/bench/models_torch.py, its PyTorch twin: a few warm-up steps, then the median
 * of the step times, reported as images per second.
 *
 * <pre>
 *   java -cp bench/target/benchmarks.jar org.handgrad.bench.ModelTrainBench [model ...]
 * </pre>
 */
public final class ModelTrainBench {
  private ModelTrainBench() {}

  private static final int BATCH = 64;

  /** Times each named model (default: softmax, two-layer, cnn, bn-cnn). */
  public static void main(String[] args) {
    List<String> names =
        args.length > 0 ? List.of(args) : List.of("softmax", "two-layer", "cnn", "bn-cnn");
    SplittableRandom rng = new SplittableRandom(0);
    Tensor x = Tensor.zeros(DType.FLOAT32, BATCH, 1, 28, 28);
    for (int i = 0; i < x.size(); i++) {
      x.setFlat(i, rng.nextDouble() - 0.3);
    }
    int[] y = new int[BATCH];
    for (int i = 0; i < BATCH; i++) {
      y[i] = rng.nextInt(10);
    }
    for (String name : names) {
      Model model =
          Models.createModel(
              name, Map.of("input_shape", "1,28,28", "num_classes", "10", "dtype", "float32"));
      Optimizer opt = new Optimizer(new Adam());
      boolean conv = name.contains("cnn");
      int warmup = conv ? 5 : 50;
      int reps = conv ? 15 : 200;
      for (int i = 0; i < warmup; i++) {
        model.loss(x, y);
        opt.step(model.parameters());
      }
      double[] ts = new double[reps];
      for (int i = 0; i < reps; i++) {
        long t = System.nanoTime();
        model.loss(x, y);
        opt.step(model.parameters());
        ts[i] = (System.nanoTime() - t) / 1e9;
      }
      Arrays.sort(ts);
      double median = ts[reps / 2];
      System.out.printf(
          "%s: batch %d fwd+bwd+adam median %.2f ms (min %.2f) -> %.0f img/s%n",
          name, BATCH, median * 1e3, ts[0] * 1e3, BATCH / median);
    }
  }
}
