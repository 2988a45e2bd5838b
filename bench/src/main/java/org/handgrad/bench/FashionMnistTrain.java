package org.handgrad.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.handgrad.data.Dataset;
import org.handgrad.data.Mnist;
import org.handgrad.data.Preprocess;
import org.handgrad.models.Models;
import org.handgrad.nn.Metrics;
import org.handgrad.nn.Model;
import org.handgrad.optim.Solver;
import org.handgrad.optim.SolverOptions;
import org.handgrad.tensor.Tensor;

/**
 * Trains a registry model on Fashion-MNIST with the recipe of /work/shared/bench/torch_anchor.py
 * (pixels / 255 minus the mean training image, batch 64, Adam lr 1e-3) and prints the wall time,
 * images per second and test accuracy, for comparison with the PyTorch anchor. Until the {@code
 * ./handgrad train} command exists this is the end-to-end check of the models on real data.
 *
 * <pre>
 *   java -cp bench/target/benchmarks.jar org.handgrad.bench.FashionMnistTrain MODEL EPOCHS \
 *       [lr_decay=0.5] [key=value ...]     (keys as Models.keys(MODEL); data dir via HANDGRAD_FMNIST)
 * </pre>
 */
public final class FashionMnistTrain {
  private FashionMnistTrain() {}

  /** Runs one training; see the class comment for the arguments. */
  public static void main(String[] args) throws IOException {
    if (args.length < 2) {
      System.err.println("usage: FashionMnistTrain MODEL EPOCHS [lr_decay=D] [key=value ...]");
      System.exit(2);
    }
    String name = args[0];
    int epochs = Integer.parseInt(args[1]);
    double lrDecay = 1.0;
    Map<String, String> config = new LinkedHashMap<>();
    config.put("input_shape", "1,28,28");
    config.put("dtype", "float32");
    for (int i = 2; i < args.length; i++) {
      String[] kv = args[i].split("=", 2);
      if (kv[0].equals("lr_decay")) {
        lrDecay = Double.parseDouble(kv[1]);
      } else {
        config.put(kv[0], kv[1]);
      }
    }
    String dir =
        System.getenv().getOrDefault("HANDGRAD_FMNIST", "/usr/share/datasets/fashion-mnist");
    Dataset data = Mnist.loadFashion(Path.of(dir));
    Tensor mean = Preprocess.meanImage(data.train().x());
    Tensor xTrain = Preprocess.subtractMean(data.train().x(), mean);
    Tensor xTest = Preprocess.subtractMean(data.test().x(), mean);
    Model model = Models.createModel(name, config);
    SolverOptions options =
        SolverOptions.builder()
            .updateRule("adam", Map.of("learning_rate", 1e-3))
            .batchSize(64)
            .numEpochs(epochs)
            .lrDecay(lrDecay)
            .numTrainSamples(1000)
            .numValSamples(null)
            .printEvery(200)
            .verbose(true)
            .seed(0)
            .build();
    // Validation on the test split, as the anchor reports test accuracy after training.
    Solver solver =
        new Solver(
            model, new Solver.Data(xTrain, data.train().y(), xTest, data.test().y()), options);
    long t0 = System.nanoTime();
    solver.train();
    double seconds = (System.nanoTime() - t0) / 1e9;
    int images = solver.numIterations() * 64;
    double last = Metrics.accuracy(data.test().y(), solver.predict(xTest, 500));
    System.out.printf(
        "%s %s: %d epoch(s) bs=64 Adam lr=1e-3 decay=%s: %.1fs (incl. accuracy checks),"
            + " %.0f img/s, test acc %.4f (best-val params restored)%n",
        name, config, epochs, lrDecay, seconds, images / seconds, last);
  }
}
