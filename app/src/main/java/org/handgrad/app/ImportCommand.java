package org.handgrad.app;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.handgrad.app.report.RunDirectory;
import org.handgrad.app.train.Preprocessing;
import org.handgrad.app.train.RunSpec;
import org.handgrad.data.DatasetInfo;
import org.handgrad.data.DatasetRegistry;
import org.handgrad.io.Safetensors;
import org.handgrad.models.Models;
import org.handgrad.models.transfer.TorchStateDict;
import org.handgrad.nn.Model;
import org.handgrad.nn.Parameter;
import org.handgrad.optim.Checkpoint;
import org.handgrad.optim.SolverOptions;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ./handgrad import}: a PyTorch {@code state_dict} saved as safetensors becomes a handgrad
 * run folder ({@code config.json}, {@code checkpoints/}) that {@code eval}, {@code predict}, {@code
 * export} and {@code finetune --from} read. Names and layouts follow {@link TorchStateDict}; the
 * whole file is checked against the model before anything is written.
 *
 * <p>The run records the dataset the model is meant for (class names, input shape) and no
 * preprocessing: the model sees pixels in [0, 1], as PyTorch's {@code ToTensor()} without a {@code
 * Normalize} (scripts/torch/train_small_resnet.py trains that way).
 */
@Command(
    name = "import",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Import PyTorch weights (a state_dict as safetensors) into a handgrad run folder.",
      ""
    },
    footer = {
      "",
      "Examples:",
      "  ./handgrad import --from resnet.safetensors --model resnet-small --out runs/imported",
      "  ./handgrad import --from resnet18.safetensors --model resnet18"
          + " --set input_shape=3,224,224 --set num_classes=1000 --data cifar10 --out runs/r18",
      "Exit codes: 0 done, 1 unreadable or mismatching file, 2 bad usage."
    })
public final class ImportCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--from", required = true, paramLabel = "FILE", description = "safetensors file.")
  Path from;

  @Option(
      names = "--model",
      required = true,
      paramLabel = "NAME",
      description = "Registry name, e.g. resnet18, resnet-small.")
  String model;

  @Option(
      names = "--set",
      paramLabel = "KEY=VALUE",
      description = "Model settings (input_shape, num_classes, widths, blocks, ...).")
  Map<String, String> set = new LinkedHashMap<>();

  @Option(
      names = "--data",
      defaultValue = "fashion-mnist",
      paramLabel = "NAME",
      description =
          "Dataset the model classifies (class names; eval's test set). Default: ${DEFAULT-VALUE}.")
  String data;

  @Option(
      names = "--dtype",
      defaultValue = "float32",
      description = "float32 or float64. Default: ${DEFAULT-VALUE}.")
  String dtype;

  @Option(
      names = "--out",
      required = true,
      paramLabel = "RUN",
      description = "Run folder to write.")
  Path out;

  @Override
  public Integer call() {
    PrintWriter o = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    try {
      DatasetInfo info =
          DatasetRegistry.defaults()
              .find(data)
              .orElseThrow(
                  () ->
                      new IllegalArgumentException(
                          "unknown dataset '"
                              + data
                              + "'; datasets: "
                              + DatasetRegistry.defaults().names()));
      DType dt = RunSpec.dtypeOf(dtype);
      Map<String, String> args = new LinkedHashMap<>();
      int[] inputShape = defaultShape(info);
      args.put("num_classes", Integer.toString(info.classNames().size()));
      args.put("dtype", dt.numpyName());
      args.put("seed", "0");
      args.putAll(set);
      if (args.containsKey("input_shape")) {
        inputShape = parseShape(args.get("input_shape"));
      } else if (inputShape == null) {
        throw new IllegalArgumentException("--set input_shape=C,H,W is required for " + data);
      }
      args.put("input_shape", inputShape[0] + "," + inputShape[1] + "," + inputShape[2]);
      Model net = Models.createModel(model, args);
      int k = Integer.parseInt(args.get("num_classes").trim());
      List<String> classes = new ArrayList<>(info.classNames());
      if (classes.size() != k) {
        classes.clear();
        for (int i = 0; i < k; i++) {
          classes.add(Integer.toString(i));
        }
      }
      Map<String, Tensor> state;
      try {
        state = Safetensors.read(from).tensors();
        TorchStateDict.load(net, state, from.toString());
      } catch (IOException e) {
        err.println("error: " + Errors.describe(e));
        return 1;
      } catch (IllegalArgumentException e) {
        err.println("error: " + e.getMessage());
        return 1;
      }
      RunSpec run =
          new RunSpec(
              model,
              args,
              data,
              data,
              null,
              0,
              0,
              classes,
              inputShape,
              dt,
              new Preprocessing(Preprocessing.Kind.NONE, inputShape, new double[0], new double[0]),
              null,
              0);
      Path dir = writeRun(out, run, net, from);
      o.println(
          "imported "
              + state.size()
              + " tensors from "
              + from
              + " into "
              + dir
              + " ("
              + model
              + ", "
              + net.parameters().stream().mapToLong(Parameter::size).sum()
              + " parameters)");
      o.println("evaluate: ./handgrad eval --checkpoint " + out);
      return 0;
    } catch (IllegalArgumentException e) {
      err.println("error: " + e.getMessage());
      err.println("see './handgrad import --help'");
      return 2;
    } catch (IOException e) {
      err.println("error: " + Errors.describe(e));
      return 1;
    } finally {
      o.flush();
      err.flush();
    }
  }

  /** Writes {@code config.json} and a step-0 checkpoint holding the model. */
  static Path writeRun(Path dir, RunSpec run, Model net, Path source) throws IOException {
    Files.createDirectories(dir);
    RunDirectory rd = RunDirectory.open(dir);
    SolverOptions options =
        SolverOptions.builder().checkpointName(run.model()).model(run.model(), run.toMap()).build();
    Map<String, Tensor> params = new LinkedHashMap<>();
    for (Parameter p : net.parameters()) {
      params.put(p.name(), p.value().copy());
    }
    Map<String, Tensor> buffers = new LinkedHashMap<>();
    net.buffers().forEach((name, t) -> buffers.put(name, t.copy()));
    Checkpoint c =
        new Checkpoint(
            options,
            0,
            0,
            0L,
            List.of(),
            List.of(),
            List.of(),
            Double.NaN,
            params,
            buffers,
            Map.of(),
            Map.of(),
            Map.of(),
            null);
    Files.createDirectories(rd.checkpointsDir());
    c.write(rd.checkpointsDir(), run.model());
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("command", "import");
    config.put("source", source.toString());
    config.put("model", run.model());
    config.put("model_args", new java.util.TreeMap<>(run.modelArgs()));
    config.put("dataset", run.dataset());
    rd.writeConfig(config);
    return dir;
  }

  private static int[] defaultShape(DatasetInfo info) {
    return switch (info.kind()) {
      case IDX -> new int[] {1, 28, 28};
      case CIFAR10_BINARY -> new int[] {3, 32, 32};
      case SYNTHETIC -> null;
    };
  }

  private static int[] parseShape(String s) {
    String[] parts = s.trim().split("[,x ]+");
    if (parts.length != 3) {
      throw new IllegalArgumentException("input_shape must be C,H,W, got '" + s + "'");
    }
    int[] out = new int[3];
    for (int i = 0; i < 3; i++) {
      try {
        out[i] = Integer.parseInt(parts[i]);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("input_shape must be C,H,W, got '" + s + "'", e);
      }
    }
    return out;
  }
}
