package org.handgrad.app;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.handgrad.app.train.RunSpec;
import org.handgrad.app.train.TrainedModel;
import org.handgrad.io.Json;
import org.handgrad.io.Safetensors;
import org.handgrad.models.transfer.TorchStateDict;
import org.handgrad.nn.Model;
import org.handgrad.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ./handgrad export}: a checkpoint's model as a PyTorch {@code state_dict} in safetensors
 * ({@link TorchStateDict}: PyTorch's names and layouts), which {@code
 * model.load_state_dict(safetensors.torch.load_file(...))} or scripts/torch/torch_io.py reads. The
 * metadata names the handgrad model and its settings.
 */
@Command(
    name = "export",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {"Export a checkpoint's weights as a PyTorch state_dict in safetensors.", ""},
    footer = {
      "",
      "Example:",
      "  ./handgrad export --checkpoint runs/resnet-small-fashion-mnist-... --to resnet.safetensors",
      "Exit codes: 0 done, 1 failed."
    })
public final class ExportCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--checkpoint",
      required = true,
      paramLabel = "RUN",
      description = "Run folder, checkpoint folder or checkpoint JSON.")
  Path checkpoint;

  @Option(names = "--to", required = true, paramLabel = "FILE", description = "safetensors file.")
  Path to;

  @Option(
      names = "--latest",
      description =
          "Export the latest parameters instead of the best (highest validation accuracy).")
  boolean latest;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    try {
      TrainedModel tm = TrainedModel.load(checkpoint, latest);
      Model net = RunSpec.unwrap(tm.model());
      Map<String, Tensor> state = TorchStateDict.export(net);
      Map<String, String> meta = new LinkedHashMap<>();
      meta.put("format", "pt");
      meta.put("handgrad.model", tm.spec().model());
      meta.put("handgrad.model_args", Json.write(new java.util.TreeMap<>(tm.spec().modelArgs())));
      Safetensors.write(to, state, meta);
      out.println(
          "wrote "
              + state.size()
              + " tensors ("
              + tm.spec().model()
              + ", "
              + (tm.best() ? "best" : "latest")
              + " parameters of "
              + tm.file().getFileName()
              + ") to "
              + to);
      return 0;
    } catch (IOException e) {
      err.println("error: " + Errors.describe(e));
      return 1;
    } catch (IllegalArgumentException e) {
      err.println("error: " + e.getMessage());
      return 1;
    } finally {
      out.flush();
      err.flush();
    }
  }
}
