package org.handgrad.app;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.handgrad.nn.graph.Tape;
import org.handgrad.nn.graph.Var;
import org.handgrad.nn.modules.ReLU;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

class UnetBenchCommandTest {
  @Test
  void profileTablePerRunWithTheTimeOutsideTheTape() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    Runnable step =
        () -> {
          Tape tape = new Tape();
          Var x = tape.input(Tensor.of(new double[] {-1, 2}, 2));
          Var y = tape.add(tape.module(new ReLU(), x), x);
          tape.backward(y, Tensor.of(new double[] {1, 1}, 2));
          long until = System.nanoTime() + 50_000_000L; // an "optimizer step" outside the tape
          while (System.nanoTime() < until) {
            Thread.onSpinWait();
          }
        };
    step.run(); // class loading and the first compilation, outside the profile
    UnetBenchCommand.printProfile(
        new PrintStream(bytes, true, StandardCharsets.UTF_8), "tiny step", step, 3);
    String text = bytes.toString(StandardCharsets.UTF_8);
    assertTrue(text.startsWith("profile: tiny step, 3 runs, "), text);
    // one call of each per run, and the spinning shows up outside the tape
    assertTrue(text.matches("(?s).*\\nReLU +1 +[0-9.]+ +[0-9.]+ +[0-9.]+%\\n.*"), text);
    assertTrue(text.matches("(?s).*\\nadd +1 .*"), text);
    assertTrue(text.matches("(?s).*\\nleaf +1 .*"), text);
    String outside = text.substring(text.indexOf("(outside the tape)"));
    double share =
        Double.parseDouble(outside.replaceAll("(?s)^\\(outside the tape\\) +([0-9.]+)%.*", "$1"));
    assertTrue(share > 50, text);
  }

  @Test
  void profileReportsTheCollectorsPausesSeparately() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    // A live set of a million small objects, so that every full collection takes milliseconds.
    java.util.List<int[]> live = new java.util.ArrayList<>();
    for (int i = 0; i < 1_000_000; i++) {
      live.add(new int[] {i});
    }
    Runnable step =
        () -> {
          Tape tape = new Tape();
          tape.input(Tensor.of(new double[] {live.size()}, 1));
          System.gc();
        };
    UnetBenchCommand.printProfile(
        new PrintStream(bytes, true, StandardCharsets.UTF_8), "collecting step", step, 2);
    String text = bytes.toString(StandardCharsets.UTF_8);
    String line = text.substring(text.indexOf("garbage collection: "));
    double ms =
        Double.parseDouble(line.replaceAll("(?s)^garbage collection: ([0-9.]+) ms.*", "$1"));
    assertTrue(ms > 0, text);
  }
}
