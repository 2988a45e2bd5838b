package org.handgrad.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command line validates before it creates anything (issue 14): each bad input names the option
 * and its allowed range, exits non-zero, prints no stack trace and leaves no run folder.
 */
class CliValidationTest {
  @TempDir Path tmp;

  private Path runs() {
    return tmp.resolve("runs");
  }

  private CliRun train(String... args) {
    List<String> all = new ArrayList<>(List.of("train", "--run-dir", runs().toString()));
    all.addAll(List.of(args));
    return CliRun.run(tmp.resolve("home"), all.toArray(String[]::new));
  }

  private static final String[] TINY = {
    "--model", "softmax", "--data", "shapes", "--num-train", "100", "--num-test", "20"
  };

  private CliRun tiny(String... args) {
    List<String> all = new ArrayList<>(List.of(TINY));
    all.addAll(List.of(args));
    return train(all.toArray(String[]::new));
  }

  private List<Path> everythingUnder(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(p -> !p.equals(dir)).sorted().toList();
    }
  }

  private void rejected(CliRun r, String message) throws IOException {
    assertEquals(2, r.code(), r.all());
    assertTrue(r.err().contains("error: " + message), r.all());
    assertFalse(r.err().contains("\tat "), "a stack trace reached the user:\n" + r.all());
    assertEquals(List.of(), everythingUnder(runs()), "left behind:\n" + r.all());
  }

  @Test
  void zeroEpochs() throws IOException {
    rejected(tiny("--epochs", "0"), "--epochs must be >= 1, got 0");
  }

  @Test
  void zeroKeptCheckpoints() throws IOException {
    rejected(tiny("--keep-checkpoints", "0"), "--keep-checkpoints must be >= 1, got 0");
  }

  @Test
  void zeroLogEvery() throws IOException {
    rejected(tiny("--log-every", "0"), "--log-every must be >= 1, got 0");
  }

  @Test
  void negativeWarmup() throws IOException {
    rejected(tiny("--warmup", "-5"), "--warmup must be >= 0, got -5");
  }

  @Test
  void otherRanges() throws IOException {
    rejected(tiny("--batch-size", "0"), "--batch-size must be >= 1, got 0");
    rejected(tiny("--checkpoint-every", "-1"), "--checkpoint-every must be >= 0, got -1");
    rejected(tiny("--lr", "NaN"), "--lr must be a finite number > 0, got NaN");
    rejected(
        tiny("--lr-decay", "0"), "--lr-decay must be a finite number > 0 (1 = no decay), got 0.0");
    rejected(tiny("--grad-clip", "-1"), "--grad-clip must be a finite number >= 0");
  }

  @Test
  void iterationCountOverflow() throws IOException {
    rejected(
        tiny("--epochs", "2000000000", "--batch-size", "1"),
        "--epochs 2000000000 x 100 iterations per epoch (100 training images / --batch-size 1)"
            + " exceeds 2147483647 iterations: lower --epochs or raise --batch-size");
  }

  @Test
  void predictTopZero() throws IOException {
    CliRun r = CliRun.run(tmp.resolve("home"), "predict", "--top", "0", "--checkpoint", "x", "y");
    rejected(r, "--top must be >= 1, got 0");
  }

  @Test
  void unknownCommand() throws IOException {
    CliRun r = CliRun.run(tmp.resolve("home"), "interpret");
    rejected(r, "unknown command 'interpret'; commands: help, gradcheck, data, bench, train");
    assertFalse(r.out().contains("Usage:"), "no top-level help for a typo:\n" + r.all());
  }

  @Test
  void resumeWithFewerEpochsThanDone() throws IOException {
    CliRun first = tiny("--epochs", "3", "--batch-size", "30");
    assertEquals(0, first.code(), first.all());
    List<Path> before = everythingUnder(runs());
    List<String> contents = new ArrayList<>();
    for (Path p : before) {
      contents.add(
          Files.isRegularFile(p)
              ? Files.readString(p, java.nio.charset.StandardCharsets.ISO_8859_1)
              : "");
    }
    Path run = before.get(0);
    CliRun r = train("--resume", run.toString(), "--epochs", "1");
    assertEquals(2, r.code(), r.all());
    assertTrue(r.err().contains("error: --epochs 1 is fewer than the run has done: "), r.all());
    assertTrue(
        r.err()
            .contains(
                "is at epoch 3, iteration 9 (of 3 for 1 epochs); give --epochs 3"
                    + " or more to train longer"),
        r.all());
    assertEquals(before, everythingUnder(runs()), "no file added or removed");
    for (int i = 0; i < before.size(); i++) {
      if (Files.isRegularFile(before.get(i))) {
        assertEquals(
            contents.get(i),
            Files.readString(before.get(i), java.nio.charset.StandardCharsets.ISO_8859_1),
            before.get(i) + " changed");
      }
    }
  }
}
