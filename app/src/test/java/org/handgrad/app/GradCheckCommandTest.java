package org.handgrad.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.handgrad.nn.GradCheckResult;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class GradCheckCommandTest {
  /** Exit code, stdout and stderr of one run. */
  record Run(int code, String out, String err) {}

  private static Run run(String... args) {
    CommandLine cli = Main.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    int code = cli.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void passingLayersPrintATableAndExitZero() {
    Run r = run("gradcheck", "affine", "relu");
    assertEquals(0, r.code(), r.out() + r.err());
    String[] lines = r.out().split("\\R");
    assertEquals(6, lines.length, r.out()); // header, 3 affine rows, 1 relu row, summary
    assertTrue(lines[0].matches("layer\\s+gradient\\s+rel error\\s+tolerance\\s+result"), lines[0]);
    assertTrue(
        lines[1].matches("affine\\s+dx\\s+\\d\\.\\d\\de-\\d\\d\\s+1\\.00e-07\\s+PASS"), lines[1]);
    assertTrue(lines[3].startsWith("affine  db"), lines[3]);
    assertTrue(lines[4].startsWith("relu    dx"), lines[4]);
    assertTrue(lines[5].startsWith("4 gradients in 2 layers: 4 passed, 0 failed"), lines[5]);
  }

  @Test
  void unknownLayerExitsTwoAndListsTheKnownOnes() {
    Run r = run("gradcheck", "relu", "conv9d");
    assertEquals(2, r.code());
    assertEquals("", r.out(), "nothing runs when a name is wrong");
    assertTrue(r.err().contains("gradcheck: unknown layer 'conv9d'; known layers: "), r.err());
    assertTrue(r.err().contains("affine, affine_relu, relu"), r.err());
  }

  @Test
  void aWrongGradientRendersAsFail() {
    GradCheckResult bad = new GradCheckResult("affine", "dw", 3.2e-2, 1e-7);
    assertEquals(
        "affine  dw              3.20e-02   1.00e-07   FAIL", GradCheckCommand.row(bad, 6));
    GradCheckResult nan = new GradCheckResult("relu", "dx", Double.NaN, 1e-7);
    assertTrue(GradCheckCommand.row(nan, 6).matches("relu\\s+dx\\s+nan\\s+1\\.00e-07\\s+FAIL"));
    GradCheckResult good = new GradCheckResult("relu", "dx", 3e-12, 1e-7);
    assertTrue(GradCheckCommand.row(good, 6).endsWith("PASS"));
    assertTrue(
        GradCheckCommand.summary(2, 1, 1, 0.5).endsWith("1 passed, 1 failed (0.5 s)  FAILED"));
  }

  @Test
  void helpAndList() {
    Run help = run("gradcheck", "--help");
    assertEquals(0, help.code());
    assertTrue(help.out().contains("Usage: handgrad gradcheck"), help.out());
    assertTrue(help.out().contains("Exit codes:"), help.out());
    Run list = run("gradcheck", "--list");
    assertEquals(0, list.code());
    assertTrue(list.out().lines().anyMatch("softmax_loss"::equals), list.out());
    assertTrue(list.out().lines().anyMatch("dropout"::equals), list.out());
    assertTrue(list.out().lines().anyMatch("model_bn_cnn"::equals), list.out());
  }

  @Test
  void modelChecksRunFromTheCommand() {
    Run r = run("gradcheck", "model_two_layer");
    assertEquals(0, r.code(), r.out() + r.err());
    assertTrue(r.out().lines().anyMatch(l -> l.startsWith("model_two_layer")), r.out());
    assertTrue(r.out().lines().noneMatch(l -> l.endsWith("FAIL")), r.out());
  }
}
