package org.handgrad.examples;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.handgrad.data.Dataset;
import org.handgrad.data.Preprocess;
import org.handgrad.data.Split;
import org.handgrad.data.SyntheticShapes;
import org.handgrad.io.Safetensors;
import org.handgrad.models.Classifier;
import org.handgrad.models.Models;
import org.handgrad.nn.Metrics;
import org.handgrad.nn.Model;
import org.handgrad.nn.Parameter;
import org.handgrad.optim.Solver;
import org.handgrad.optim.SolverOptions;
import org.handgrad.tensor.Tensor;

/**
 * The README's library example: a softmax classifier on the built-in {@code shapes} images, trained
 * with the CS231n Solver, saved as safetensors, loaded into a fresh model, and used to predict.
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -cp core.jar:examples.jar
 * org.handgrad.examples.QuickStart [numTrain [epochs [folder]]]}.
 */
public final class QuickStart {
  private QuickStart() {}

  /**
   * Trains, saves, loads and predicts; prints the test accuracy.
   *
   * @param args optional: training images (default 5000), epochs (5), folder for the file
   */
  public static void main(String[] args) throws IOException {
    int numTrain = args.length > 0 ? Integer.parseInt(args[0]) : 5000;
    int epochs = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    Path dir = args.length > 2 ? Path.of(args[2]) : Files.createTempDirectory("handgrad");
    System.out.printf(Locale.ROOT, "test accuracy: %.4f%n", run(numTrain, epochs, dir));
  }

  /**
   * The example itself.
   *
   * @return the loaded model's accuracy on 1000 test images
   */
  public static double run(int numTrain, int epochs, Path dir) throws IOException {
    // Data: 28x28 grey images of 10 shapes, generated (no download); the last 500 validate.
    Dataset data =
        SyntheticShapes.generate(new SyntheticShapes.Config(numTrain + 500, 1000, 1, 28, 0));
    Split train = data.train().range(0, numTrain);
    Split val = data.train().range(numTrain, numTrain + 500);
    Split test = data.test();

    // Preprocessing as CS231n's assignment 1: subtract the mean training image from every split.
    Tensor mean = Preprocess.meanImage(train.x());
    Tensor xTrain = Preprocess.subtractMean(train.x(), mean);
    Tensor xVal = Preprocess.subtractMean(val.x(), mean);
    Tensor xTest = Preprocess.subtractMean(test.x(), mean);

    // Model: from the registry, by name and a string config (as `--set key=value` on the CLI).
    Map<String, String> config = Map.of("input_shape", "1,28,28", "dtype", "float32");
    Model model = Models.createModel("softmax", config);

    // Training: the CS231n Solver (Adam, batch 100), keeping the best parameters by validation.
    SolverOptions options =
        SolverOptions.builder()
            .updateRule("adam", Map.of("learning_rate", 1e-3))
            .batchSize(100)
            .numEpochs(epochs)
            .verbose(false)
            .build();
    Solver solver = new Solver(model, new Solver.Data(xTrain, train.y(), xVal, val.y()), options);
    solver.train();

    // Save: parameters by name in a safetensors file (readable by PyTorch's safetensors).
    Map<String, Tensor> params = new LinkedHashMap<>();
    for (Parameter p : model.parameters()) {
      params.put(p.name(), p.value());
    }
    Path file = dir.resolve("softmax.safetensors");
    Safetensors.write(file, params);

    // Load into a fresh model of the same config, then predict.
    Model loaded = Models.createModel("softmax", config);
    Map<String, Tensor> stored = Safetensors.read(file).tensors();
    for (Parameter p : loaded.parameters()) {
      p.value().copyFrom(stored.get(p.name()));
    }
    int[] predicted = ((Classifier) loaded).predict(xTest);
    return Metrics.accuracy(test.y(), predicted);
  }
}
