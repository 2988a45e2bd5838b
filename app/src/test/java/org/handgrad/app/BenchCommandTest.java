package org.handgrad.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.handgrad.kernels.Kernels;
import org.handgrad.kernels.Parallel;
import org.junit.jupiter.api.Test;

class BenchCommandTest {
  @Test
  void gemmPrintsOneRowPerCaseWithTheSetup() {
    int savedThreads = Parallel.threads();
    PrintStream savedOut = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    int code;
    try {
      System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
      code =
          Main.commandLine()
              .execute(
                  "bench",
                  "gemm",
                  "--sizes",
                  "16,33",
                  "--no-conv",
                  "--runs",
                  "1",
                  "--warmup",
                  "0",
                  "--threads",
                  "1",
                  "--scalar");
    } finally {
      System.setOut(savedOut);
      Parallel.setThreads(savedThreads);
      Kernels.forceScalar(false);
    }
    String out = buf.toString(StandardCharsets.UTF_8);
    assertEquals(0, code, out);
    assertTrue(out.contains("1 thread |"), out);
    assertTrue(out.contains("kernels: scalar (forced)"), out);
    assertTrue(out.contains("JDK " + Runtime.version()), out);
    assertTrue(
        out.matches("(?s).*square 16 +16 +16 +16 +NN +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+.*"), out);
    assertTrue(out.contains("square 33"), out);
  }

  @Test
  void actPrintsOneRowPerOpAndShape() {
    int savedThreads = Parallel.threads();
    PrintStream savedOut = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    int code;
    try {
      System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
      code =
          Main.commandLine()
              .execute(
                  "bench",
                  "act",
                  "--shapes",
                  "4x5",
                  "--runs",
                  "1",
                  "--warmup",
                  "0",
                  "--warmup-ms",
                  "0",
                  "--threads",
                  "1");
    } finally {
      System.setOut(savedOut);
      Parallel.setThreads(savedThreads);
      Kernels.forceScalar(false);
    }
    String out = buf.toString(StandardCharsets.UTF_8);
    assertEquals(0, code, out);
    for (String op :
        new String[] {
          "gelu ", "gelu_tanh", "sigmoid", "silu", "softmax \\(last axis\\)", "layernorm"
        }) {
      assertTrue(
          out.matches("(?s).*" + op + " *\\(4, 5\\) +[0-9.]+ +[0-9.]+ +[0-9.]+.*"),
          op + "\n" + out);
    }
  }
}
