package org.handgrad.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.handgrad.app.train.CheckpointFiles;
import org.handgrad.io.Safetensors;
import org.handgrad.models.Models;
import org.handgrad.models.transfer.TorchStateDict;
import org.handgrad.nn.Model;
import org.handgrad.optim.Checkpoint;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code import}, {@code export} and {@code finetune} end to end, with their errors. */
class TransferCommandsTest {
  @TempDir Path tmp;
  private Path weights;

  private static final Map<String, String> SMALL =
      Map.of("input_shape", "1,8,8", "num_classes", "10", "widths", "2,3", "blocks", "1");

  /** A narrow resnet-small after one training step (running statistics exist), as a state dict. */
  @BeforeEach
  void writeWeights() throws IOException {
    Model m = Models.createModel("resnet-small", SMALL);
    Tensor x = Tensor.zeros(DType.FLOAT32, 4, 1, 8, 8);
    for (int i = 0; i < x.size(); i++) {
      x.setFlat(i, Math.sin(0.3 * i));
    }
    m.loss(x, new int[] {1, 5, 7, 9});
    weights = tmp.resolve("small.safetensors");
    Safetensors.write(weights, TorchStateDict.export(m));
  }

  private CliRun cli(String... args) {
    return CliRun.run(tmp.resolve("home"), args);
  }

  private String[] importArgs(Path from, Path out) {
    return new String[] {
      "import",
      "--from",
      from.toString(),
      "--model",
      "resnet-small",
      "--data",
      "mnist",
      "--set",
      "input_shape=1,8,8",
      "--set",
      "widths=2,3",
      "--set",
      "blocks=1",
      "--out",
      out.toString()
    };
  }

  @Test
  void importThenExportIsBitExact() throws IOException {
    Path run = tmp.resolve("run");
    CliRun imp = cli(importArgs(weights, run));
    assertEquals(0, imp.code(), imp.all());
    // 20 parameters and 6 BatchNorms x 3 buffers
    assertTrue(imp.out().contains("imported 38 tensors"), imp.all());
    Path back = tmp.resolve("back.safetensors");
    CliRun exp = cli("export", "--checkpoint", run.toString(), "--to", back.toString());
    assertEquals(0, exp.code(), exp.all());
    Map<String, Tensor> a = Safetensors.read(weights).tensors();
    Safetensors.Contents b = Safetensors.read(back);
    assertEquals(a.keySet(), b.tensors().keySet());
    a.forEach(
        (k, v) -> {
          assertArrayEquals(v.shape(), b.tensors().get(k).shape(), k);
          assertArrayEquals(v.toDoubleArray(), b.tensors().get(k).toDoubleArray(), k);
        });
    assertEquals("resnet-small", b.metadata().get("handgrad.model"));
  }

  @Test
  void mismatchingAndTruncatedFilesAreClearErrors() throws IOException {
    CliRun wrong =
        cli(
            "import",
            "--from",
            weights.toString(),
            "--model",
            "resnet-small",
            "--data",
            "mnist",
            "--set",
            "input_shape=1,8,8",
            "--set",
            "widths=4,3",
            "--set",
            "blocks=1",
            "--out",
            tmp.resolve("w").toString());
    assertEquals(1, wrong.code(), wrong.all());
    assertTrue(
        wrong.err().contains("conv1.weight: model (4, 1, 3, 3), file (2, 1, 3, 3)"), wrong.all());
    byte[] bytes = Files.readAllBytes(weights);
    Path cut = tmp.resolve("cut.safetensors");
    Files.write(cut, Arrays.copyOf(bytes, bytes.length / 2));
    CliRun truncated = cli(importArgs(cut, tmp.resolve("t")));
    assertEquals(1, truncated.code(), truncated.all());
    assertTrue(truncated.err().startsWith("error: "), truncated.all());
    assertTrue(truncated.err().contains("cut.safetensors"), truncated.all());
    assertFalse(truncated.err().contains("Exception"), truncated.all());
    assertFalse(truncated.err().contains("\tat "), truncated.all());
  }

  @Test
  void finetuneFreezesAndReplacesTheHead() throws IOException {
    TinyIdx.write(tmp.resolve("data").resolve("mnist"), 60, 30, 8);
    Path runs = tmp.resolve("runs");
    CliRun bad =
        cli(
            "finetune",
            "--from",
            weights.toString(),
            "--model",
            "resnet-small",
            "--set",
            "widths=2,3",
            "--set",
            "blocks=1",
            "--head-classes",
            "3",
            "--freeze",
            "conv1,layer7");
    assertEquals(2, bad.code(), bad.all());
    assertTrue(
        bad.err()
            .contains(
                "no parameter or sub-module named 'layer7'; top-level names: conv1, bn1,"
                    + " layer1, layer2, fc"),
        bad.all());
    CliRun ft =
        cli(
            "finetune",
            "--from",
            weights.toString(),
            "--model",
            "resnet-small",
            "--set",
            "widths=2,3",
            "--set",
            "blocks=1",
            "--head-classes",
            "3",
            "--freeze",
            "conv1,bn1,layer1",
            "--classes",
            "5,6,7",
            "--labels-per-class",
            "2",
            "--val-per-run",
            "3",
            "--data",
            "mnist",
            "--data-dir",
            tmp.resolve("data").toString(),
            "--epochs",
            "2",
            "--batch-size",
            "3",
            "--lr",
            "0.05",
            "--optimizer",
            "sgd_momentum",
            "--run-dir",
            runs.toString(),
            "--name",
            "ft");
    assertEquals(0, ft.code(), ft.all());
    assertTrue(ft.out().contains("frozen"), ft.all());
    Path run;
    try (var s = Files.list(runs)) {
      run = s.findFirst().orElseThrow();
    }
    Checkpoint c = Checkpoint.read(CheckpointFiles.resolve(run));
    Map<String, Tensor> source = Safetensors.read(weights).tensors();
    assertArrayEquals(new int[] {3, 3}, c.parameters().get("fc.weight").shape()); // (in, K)
    for (String name : c.parameters().keySet()) {
      boolean frozen =
          name.startsWith("conv1.") || name.startsWith("bn1.") || name.startsWith("layer1.");
      if (name.startsWith("fc.")) {
        continue;
      }
      boolean same =
          Arrays.equals(source.get(name).toDoubleArray(), c.parameters().get(name).toDoubleArray());
      assertEquals(frozen, same, name + (same ? " unchanged" : " changed"));
    }
  }
}
