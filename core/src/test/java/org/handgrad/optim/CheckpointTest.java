package org.handgrad.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.handgrad.io.Safetensors;
import org.handgrad.nn.Model;
import org.handgrad.nn.Parameter;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CheckpointTest {
  @TempDir Path tmp;

  /** 60 examples, batch 20: 3 iterations per epoch; 4 epochs = 12 iterations. */
  private static Solver.Data data(DType dtype) {
    return TinyNet.blobs(dtype, 60, 30, 5, 1.5, 21);
  }

  private static TinyNet net(DType dtype, long seed) {
    return new TinyNet(dtype, 5, 8, 3, 1e-3, 0.1, seed);
  }

  /** Stateful rule, lr decay, subsampled train accuracy (draws from the stream), clipping. */
  private static SolverOptions options(Path dir, int epochs) {
    return SolverOptions.builder()
        .updateRule("adam", Map.of("learning_rate", 1e-2))
        .lrDecay(0.9)
        .batchSize(20)
        .numEpochs(epochs)
        .numTrainSamples(25)
        .gradClipNorm(5)
        .seed(99)
        .verbose(false)
        .checkpointName("run")
        .checkpointDir(dir)
        .model("tiny_net", Map.of("hidden", 8, "reg", 1e-3))
        .build();
  }

  private static void stopAt(Solver solver, int iteration) {
    solver.addListener(
        new SolverListener() {
          @Override
          public void iterationDone(Iteration it) {
            if (it.iteration() == iteration) {
              solver.requestStop();
            }
          }
        });
  }

  @ParameterizedTest(name = "{0}, stopped after iteration {1}")
  @CsvSource({"FLOAT64, 6", "FLOAT64, 7", "FLOAT32, 6", "FLOAT32, 1", "FLOAT32, 11"})
  void resumeEqualsUninterrupted(DType dtype, int stopAfter) throws IOException {
    Path a = tmp.resolve("a");
    Path b = tmp.resolve("b");
    Solver uninterrupted = new Solver(net(dtype, 1), data(dtype), options(a, 4));
    assertEquals(Solver.Status.COMPLETED, uninterrupted.train());

    Solver first = new Solver(net(dtype, 1), data(dtype), options(b, 4));
    stopAt(first, stopAfter);
    assertEquals(Solver.Status.STOPPED, first.train());
    assertEquals(stopAfter, first.iteration());

    // Fresh objects, as in a new process: other initial weights (the checkpoint must overwrite
    // them), data rebuilt, options read back from the checkpoint.
    Path saved = Checkpoint.latest(b, "run").orElseThrow();
    assertTrue(saved.getFileName().toString().endsWith("_step_" + stopAfter + ".json"), "" + saved);
    Checkpoint cp = Checkpoint.read(saved);
    Solver resumed = new Solver(net(dtype, 2), data(dtype), cp.options()).resume(b);
    assertEquals(stopAfter, resumed.iteration());
    assertEquals(Solver.Status.COMPLETED, resumed.train());

    assertSameState(uninterrupted, resumed);
    // The final checkpoints' tensor files are byte-identical too.
    for (String suffix : List.of(".safetensors", ".state.safetensors")) {
      String f = "run_epoch_4_step_12" + suffix;
      assertArrayEquals(Files.readAllBytes(a.resolve(f)), Files.readAllBytes(b.resolve(f)), f);
    }
  }

  @Test
  void trainingLongerFromTheFinalCheckpointEqualsTrainingLongerFromTheStart() throws IOException {
    Path dir = tmp.resolve("short");
    Solver four = new Solver(net(DType.FLOAT64, 1), data(DType.FLOAT64), options(tmp, 4));
    four.train();
    Solver two = new Solver(net(DType.FLOAT64, 1), data(DType.FLOAT64), options(dir, 2));
    assertEquals(Solver.Status.COMPLETED, two.train());
    Solver longer =
        new Solver(net(DType.FLOAT64, 3), data(DType.FLOAT64), options(dir, 4)).resume(dir);
    longer.train();
    assertSameState(four, longer);
  }

  private static void assertSameState(Solver expected, Solver actual) {
    assertEquals(expected.iteration(), actual.iteration());
    assertEquals(expected.epoch(), actual.epoch());
    assertEquals(expected.lossHistory(), actual.lossHistory());
    assertEquals(expected.trainAccHistory(), actual.trainAccHistory());
    assertEquals(expected.valAccHistory(), actual.valAccHistory());
    assertEquals(expected.bestValAcc(), actual.bestValAcc());
    assertSameTensors(params(expected.model()), params(actual.model()), "parameters");
    assertSameTensors(expected.model().buffers(), actual.model().buffers(), "buffers");
    assertSameTensors(expected.bestParams(), actual.bestParams(), "best parameters");
    assertSameTensors(
        expected.optimizer().stateDict(), actual.optimizer().stateDict(), "optimizer state");
  }

  private static Map<String, Tensor> params(Model m) {
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (Parameter p : m.parameters()) {
      out.put(p.name(), p.value());
    }
    return out;
  }

  /** Bit-identical: same names, dtypes, shapes and values. */
  private static void assertSameTensors(
      Map<String, Tensor> expected, Map<String, Tensor> actual, String what) {
    assertEquals(expected.keySet(), actual.keySet(), what);
    for (String k : expected.keySet()) {
      Tensor e = expected.get(k);
      Tensor a = actual.get(k);
      assertEquals(e.dtype(), a.dtype(), what + " " + k);
      assertArrayEquals(e.shape(), a.shape(), what + " " + k);
      assertArrayEquals(e.toDoubleArray(), a.toDoubleArray(), what + " " + k);
    }
  }

  // ---------------------------------------------------------------- atomicity

  /** A solver stopped after {@code iterations}, not writing checkpoints itself. */
  private static Solver trainedFor(int iterations) {
    Solver s =
        new Solver(
            net(DType.FLOAT64, 1),
            data(DType.FLOAT64),
            options(Path.of("unused"), 4).toBuilder().checkpointName(null).build());
    stopAt(s, iterations);
    s.train();
    return s;
  }

  @ParameterizedTest(name = "crash after writing {0}")
  @CsvSource({".safetensors", ".state.safetensors"})
  void crashMidWriteLeavesThePreviousCheckpointLoadable(String crashAfter) throws IOException {
    Checkpoint old = trainedFor(4).snapshot();
    Path oldJson = old.write(tmp, "run");
    Checkpoint next = trainedFor(5).snapshot();
    Checkpoint.FileHook crash =
        file -> {
          if (file.getFileName().toString().endsWith("_step_5" + crashAfter)) {
            throw new IOException("simulated crash");
          }
        };
    assertThrows(IOException.class, () -> next.write(tmp, "run", crash));
    // A half-written temporary file from a crash inside a file write is ignored as well.
    Files.write(tmp.resolve(".run_epoch_1_step_6.json12345.tmp"), new byte[] {'{', '"'});

    assertEquals(Optional.of(oldJson), Checkpoint.latest(tmp, "run"));
    Checkpoint back = Checkpoint.read(oldJson);
    assertEquals(4, back.iteration());
    assertSameTensors(old.parameters(), back.parameters(), "parameters");
    Solver resumed =
        new Solver(
                net(DType.FLOAT64, 5),
                data(DType.FLOAT64),
                back.options().toBuilder().checkpointName("run").checkpointDir(tmp).build())
            .resume(tmp);
    assertEquals(4, resumed.iteration());
  }

  @Test
  void readRefusesTensorFilesThatDisagreeWithTheJson() throws IOException {
    Path json = trainedFor(4).snapshot().write(tmp, "run");
    Path state = tmp.resolve("run_epoch_1_step_4.state.safetensors");
    byte[] bytes = Files.readAllBytes(state);
    bytes[bytes.length - 1] ^= 1;
    Files.write(state, bytes);
    IOException e = assertThrows(IOException.class, () -> Checkpoint.read(json));
    assertTrue(e.getMessage().contains("does not match the checkpoint"), e.getMessage());

    Files.delete(tmp.resolve("run_epoch_1_step_4.safetensors"));
    e = assertThrows(IOException.class, () -> Checkpoint.read(json));
    assertTrue(e.getMessage().contains("is missing"), e.getMessage());
  }

  // ---------------------------------------------------------------- contents

  @Test
  void roundTripsEveryField() throws IOException {
    Solver s = trainedFor(4); // mid-epoch: 4 = 3 + 1, so the permutation is saved
    Checkpoint c = s.snapshot();
    Checkpoint back = Checkpoint.read(c.write(tmp, "run"));
    assertEquals(c.options(), back.options());
    assertEquals(1, back.epoch());
    assertEquals(4, back.iteration());
    assertEquals(c.rngState(), back.rngState());
    assertEquals(c.lossHistory(), back.lossHistory());
    assertEquals(c.trainAccHistory(), back.trainAccHistory());
    assertEquals(c.valAccHistory(), back.valAccHistory());
    assertEquals(c.bestValAcc(), back.bestValAcc());
    assertSameTensors(c.parameters(), back.parameters(), "parameters");
    assertSameTensors(c.buffers(), back.buffers(), "buffers");
    assertSameTensors(c.bestParameters(), back.bestParameters(), "best");
    assertSameTensors(c.bestBuffers(), back.bestBuffers(), "best buffers");
    assertSameTensors(c.optimizerState(), back.optimizerState(), "optimizer");
    assertNotNull(back.permutation());
    assertArrayEquals(c.permutation().toIntArray(), back.permutation().toIntArray());

    // The model file is a plain weights file under the model's own names.
    Safetensors.Contents model = Safetensors.read(tmp.resolve("run_epoch_1_step_4.safetensors"));
    assertEquals(
        List.of("W1", "b1", "W2", "b2", "hidden_mean"), List.copyOf(model.tensors().keySet()));
    assertEquals("tiny_net", model.metadata().get("model_name"));
    String json = Files.readString(tmp.resolve("run_epoch_1_step_4.json"));
    assertTrue(json.contains("\"model_config\": {"), json);
    assertTrue(json.contains("\"rng\": {"), json);
  }

  @Test
  void checkpointBeforeAnyAccuracyCheckHasNoBest() throws IOException {
    Solver fresh = new Solver(net(DType.FLOAT64, 1), data(DType.FLOAT64), options(tmp, 4));
    Checkpoint back = Checkpoint.read(fresh.snapshot().write(tmp, "run"));
    assertTrue(Double.isNaN(back.bestValAcc()));
    assertTrue(back.bestParameters().isEmpty());
    assertNull(back.permutation());
    assertTrue(Files.readString(tmp.resolve("run_epoch_0_step_0.json")).contains("null"));
  }

  @Test
  void solverWritesCheckpointsWhereCs231nDoesAndEveryNIterations() throws IOException {
    Solver s =
        new Solver(
            net(DType.FLOAT64, 1),
            data(DType.FLOAT64),
            options(tmp, 2).toBuilder().checkpointEvery(2).build());
    s.train();
    List<String> names;
    try (Stream<Path> files = Files.list(tmp)) {
      names =
          files
              .map(p -> p.getFileName().toString())
              .filter(n -> n.endsWith(".json"))
              .sorted()
              .toList();
    }
    // Accuracy checks at iterations 1, 3, 6; checkpointEvery adds 2 and 4 (6 is already there).
    assertEquals(
        List.of(
            "run_epoch_0_step_1.json",
            "run_epoch_0_step_2.json",
            "run_epoch_1_step_3.json",
            "run_epoch_1_step_4.json",
            "run_epoch_2_step_6.json"),
        names);
    assertEquals(tmp.resolve("run_epoch_2_step_6.json"), s.lastCheckpoint().orElseThrow());
  }

  @Test
  void resumeRefusesOptionsThatChangeTheTrajectory() throws IOException {
    Solver s = trainedFor(3);
    Checkpoint c = s.snapshot();
    Solver other =
        new Solver(
            net(DType.FLOAT64, 1),
            data(DType.FLOAT64),
            c.options().toBuilder().seed(1).batchSize(30).build());
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> other.resume(c));
    assertTrue(e.getMessage().contains("seed: 1 here, 99 in the checkpoint"), e.getMessage());
    assertTrue(e.getMessage().contains("batchSize"), e.getMessage());

    Solver smallerData =
        new Solver(
            net(DType.FLOAT64, 1), TinyNet.blobs(DType.FLOAT64, 90, 30, 5, 1.5, 21), c.options());
    e = assertThrows(IllegalArgumentException.class, () -> smallerData.resume(c));
    assertTrue(e.getMessage().contains("different training set"), e.getMessage());

    Solver otherModel =
        new Solver(
            new TinyNet(DType.FLOAT64, 5, 9, 3, 1e-3, 0.1, 1), data(DType.FLOAT64), c.options());
    e = assertThrows(IllegalArgumentException.class, () -> otherModel.resume(c));
    assertTrue(e.getMessage().contains("W1"), e.getMessage());
  }

  @Test
  void latestIsEmptyWithoutCheckpointsAndPicksTheHighestStep() throws IOException {
    assertEquals(Optional.empty(), Checkpoint.latest(tmp.resolve("nothing"), "run"));
    assertEquals(Optional.empty(), Checkpoint.latest(tmp, "run"));
    Solver s = trainedFor(3);
    s.snapshot().write(tmp, "run");
    Files.writeString(tmp.resolve("runner_epoch_9_step_99.json"), "{}"); // another name
    Files.writeString(tmp.resolve("run_epoch_9_step_99.json.tmp"), "{}"); // not a checkpoint
    Path p = Checkpoint.latest(tmp, "run").orElseThrow();
    assertEquals("run_epoch_1_step_3.json", p.getFileName().toString());
    Solver noName =
        new Solver(
            net(DType.FLOAT64, 1),
            data(DType.FLOAT64),
            s.options().toBuilder().checkpointName(null).build());
    assertThrows(IOException.class, () -> noName.resume(tmp));
    // Glob characters in a name are taken literally.
    Checkpoint c = s.snapshot();
    Path odd = c.write(tmp.resolve("odd"), "r[1]*");
    assertEquals(Optional.of(odd), Checkpoint.latest(tmp.resolve("odd"), "r[1]*"));
    assertEquals(Optional.empty(), Checkpoint.latest(tmp.resolve("odd"), "r1"));
  }
}
