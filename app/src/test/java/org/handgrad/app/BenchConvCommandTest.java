package org.handgrad.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class BenchConvCommandTest {
  @Test
  void quickRunPrintsEverySection() {
    PrintStream old = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    int code;
    try {
      System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
      code = new CommandLine(new BenchConvCommand()).execute("--quick");
    } finally {
      System.setOut(old);
    }
    String out = buf.toString(StandardCharsets.UTF_8);
    assertEquals(0, code, out);
    for (String s :
        new String[] {
          "forward speed-up",
          "backward speed-up",
          "GEMM alone",
          "maxpool 2x2",
          "spatial batchnorm",
          "per image",
          "against Winograd"
        }) {
      assertTrue(out.contains(s), "missing '" + s + "' in:\n" + out);
    }
    // Section (e) times every shape on both paths and leaves the switch as it found it.
    assertEquals(BenchConvCommand.WINOGRAD_3X3.length, out.split("   Winograd ", -1).length - 1);
    assertEquals(null, System.getProperty(org.handgrad.kernels.Winograd.PROPERTY));
  }
}
