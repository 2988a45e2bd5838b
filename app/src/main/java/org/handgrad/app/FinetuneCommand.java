package org.handgrad.app;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import org.handgrad.app.train.ClassSubset;
import org.handgrad.app.train.DataSource;
import org.handgrad.app.train.RunSpec;
import org.handgrad.app.train.TrainedModel;
import org.handgrad.io.Safetensors;
import org.handgrad.models.Models;
import org.handgrad.models.transfer.FineTuning;
import org.handgrad.models.transfer.TorchStateDict;
import org.handgrad.nn.Model;
import org.handgrad.nn.Parameter;
import org.handgrad.tensor.Tensor;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

/**
 * {@code ./handgrad finetune}: transfer learning as in the CS231n notes. The pretrained weights (a
 * run folder or a PyTorch safetensors file) are loaded into the same architecture with a new head
 * for K classes, the named parameters or sub-modules are frozen, the rest of the body trains at
 * {@code --body-lr-mult} times the head's learning rate, and everything else is {@code ./handgrad
 * train}: every option this command does not know (--data, --epochs, --lr, --optimizer,
 * --batch-size, --name, --resume, ...) is passed to it, with its progress, run folder and
 * checkpoints.
 */
@Command(
    name = "finetune",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Fine-tune pretrained weights on new classes: new head, frozen layers, smaller body lr.",
      "Options not listed here go to 'train' (--data, --epochs, --lr, --optimizer, ...).",
      ""
    },
    footer = {
      "",
      "Examples:",
      "  ./handgrad finetune --from runs/pretrain-0-4 --data fashion-mnist --classes 5,6,7,8,9"
          + " --labels-per-class 100 --head-classes 5 --freeze conv1,bn1,layer1 --epochs 5",
      "  ./handgrad finetune --from resnet.safetensors --model resnet-small --head-classes 10"
          + " --freeze layer1 --data fashion-mnist",
      "Exit codes as train: 0 done, 1 failed, 2 bad usage, 3 diverged, 130 interrupted."
    })
public final class FinetuneCommand implements Callable<Integer> {
  private static final Set<String> DATA_KEYS =
      Set.of("input_shape", "num_classes", "dtype", "seed");

  @Spec CommandSpec spec;

  @Option(
      names = "--from",
      required = true,
      paramLabel = "RUN_OR_FILE",
      description = "Pretrained weights: a handgrad run/checkpoint, or a .safetensors state_dict.")
  Path from;

  @Option(
      names = "--model",
      paramLabel = "NAME",
      description = "With a .safetensors file: the registry model it holds.")
  String model;

  @Option(
      names = "--set",
      paramLabel = "KEY=VALUE",
      description = "With a .safetensors file: its model settings (widths, blocks, ...).")
  Map<String, String> set = new LinkedHashMap<>();

  @Option(
      names = "--head-classes",
      required = true,
      paramLabel = "K",
      description = "Classes of the new head (the classes of the fine-tuning data).")
  int headClasses;

  @Option(
      names = "--head",
      paramLabel = "NAME",
      description =
          "The head sub-module, replaced and trained at the full lr (default: fc for"
              + " ResNets, head for ViTs).")
  String head;

  @Option(
      names = "--freeze",
      split = ",",
      paramLabel = "NAME",
      description = "Parameters or sub-modules to freeze, e.g. conv1,bn1,layer1.")
  List<String> freeze = new ArrayList<>();

  @Option(
      names = "--body-lr-mult",
      defaultValue = "0.1",
      paramLabel = "M",
      description =
          "Learning rate of the unfrozen body relative to the head. Default: ${DEFAULT-VALUE}.")
  double bodyLrMult;

  @Option(
      names = "--classes",
      split = ",",
      paramLabel = "C",
      description = "Keep only these classes of the dataset, relabelled 0..K-1 in this order.")
  List<Integer> classes;

  @Option(
      names = "--labels-per-class",
      paramLabel = "N",
      description = "With --classes: train on the first N images of each class only.")
  Integer labelsPerClass;

  @Option(
      names = "--val-per-run",
      defaultValue = "1000",
      paramLabel = "V",
      description =
          "With --labels-per-class: validation images (from the end of the training"
              + " split). Default: ${DEFAULT-VALUE}.")
  int numVal;

  @Unmatched List<String> trainArgs = new ArrayList<>();

  private final Supplier<TrainCommand> trainFactory;

  /** Fine-tuning through the real {@link TrainCommand}. */
  public FinetuneCommand() {
    this(TrainCommand::new);
  }

  /** For tests: a train command with a test registry, home and downloader. */
  FinetuneCommand(Supplier<TrainCommand> trainFactory) {
    this.trainFactory = trainFactory;
  }

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    try {
      Source source = source();
      String headName = head != null ? head : defaultHead(source.model);
      if (headName == null) {
        throw new IllegalArgumentException(
            "--head is required for model " + source.model + " (the head sub-module's name)");
      }
      // Check the names now, on the architecture with the new head, before any data is loaded.
      Map<String, String> probeArgs = new LinkedHashMap<>(source.args);
      probeArgs.put("num_classes", Integer.toString(headClasses));
      Model probe = Models.createModel(source.model, probeArgs);
      FineTuning.select(probe, headName);
      for (String f : freeze) {
        FineTuning.select(probe, f);
      }
      if (labelsPerClass != null && classes == null) {
        throw new IllegalArgumentException("--labels-per-class needs --classes");
      }
      ClassSubset subset =
          classes == null
              ? null
              : new ClassSubset(
                  classes.stream().mapToInt(Integer::intValue).toArray(), labelsPerClass, numVal);
      if (subset != null && classes.size() != headClasses) {
        throw new IllegalArgumentException(
            "--head-classes " + headClasses + " but --classes lists " + classes.size());
      }
      List<String> args = new ArrayList<>(List.of("--model", source.model));
      source.args.forEach(
          (k, v) -> {
            if (!DATA_KEYS.contains(k)) {
              args.add("--set");
              args.add(k + "=" + v);
            }
          });
      if (labelsPerClass != null) {
        args.addAll(
            List.of(
                "--num-train",
                Integer.toString(labelsPerClass * classes.size()),
                "--num-val",
                Integer.toString(numVal)));
      }
      if (trainArgs.stream().noneMatch(a -> a.equals("--name") || a.startsWith("--name="))) {
        args.addAll(List.of("--name", "finetune-" + source.model));
      }
      args.addAll(trainArgs);
      TrainCommand train = trainFactory.get();
      if (subset != null) {
        train.dataLoader(
            (src, name, policy, template) -> {
              DataSource.Loaded l = src.load(name, policy, template);
              return new DataSource.Loaded(
                  subset.apply(l.dataset()), l.requested(), l.shapes(), l.origin());
            });
      }
      train.beforeTraining(
          solver -> {
            Model net = RunSpec.unwrap(solver.model());
            if (solver.iteration() == 0) {
              TorchStateDict.load(net, source.state, from.toString(), headName);
            }
            List<Parameter> frozen = FineTuning.freeze(net, freeze);
            FineTuning.bodyLearningRate(net, headName, bodyLrMult);
            long total = net.parameters().stream().mapToLong(Parameter::size).sum();
            long fixed = frozen.stream().mapToLong(Parameter::size).sum();
            out.println(
                "finetune: weights from "
                    + from
                    + " (new "
                    + headName
                    + " for "
                    + headClasses
                    + " classes); frozen "
                    + fixed
                    + " of "
                    + total
                    + " parameters "
                    + freeze
                    + "; body lr x"
                    + bodyLrMult);
            out.flush();
          });
      CommandLine cl = new CommandLine(train);
      cl.setOut(out);
      cl.setErr(err);
      return cl.execute(args.toArray(String[]::new));
    } catch (IllegalArgumentException e) {
      err.println("error: " + e.getMessage());
      err.println("see './handgrad finetune --help'");
      return 2;
    } catch (IOException e) {
      err.println("error: " + Errors.describe(e));
      return 1;
    } finally {
      out.flush();
      err.flush();
    }
  }

  /** The pretrained model: registry name, settings and its state dict in PyTorch's layout. */
  private record Source(String model, Map<String, String> args, Map<String, Tensor> state) {}

  private Source source() throws IOException {
    boolean file =
        Files.isRegularFile(from) && from.getFileName().toString().endsWith(".safetensors");
    if (file) {
      if (model == null) {
        throw new IllegalArgumentException("--model is required with a .safetensors file");
      }
      if (!Models.names().contains(model)) {
        throw new IllegalArgumentException(
            "unknown model '" + model + "'; models: " + String.join(", ", Models.names()));
      }
      return new Source(model, new LinkedHashMap<>(set), Safetensors.read(from).tensors());
    }
    if (model != null || !set.isEmpty()) {
      throw new IllegalArgumentException(
          "--model and --set apply to a .safetensors file; a run carries its own");
    }
    TrainedModel tm = TrainedModel.load(from, false);
    Map<String, String> args = new LinkedHashMap<>(tm.spec().modelArgs());
    return new Source(tm.spec().model(), args, TorchStateDict.export(RunSpec.unwrap(tm.model())));
  }

  private static String defaultHead(String model) {
    if (model.startsWith("resnet")) {
      return "fc";
    }
    return model.equals("vit") ? "head" : null;
  }
}
