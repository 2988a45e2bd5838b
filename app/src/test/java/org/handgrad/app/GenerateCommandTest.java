package org.handgrad.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GenerateCommandTest {
  @TempDir Path tmp;

  @Test
  void schedulesWritesThePlotAndTable() throws Exception {
    Path out = tmp.resolve("plots");
    CliRun r =
        CliRun.run(tmp, "generate", "schedules", "--out", out.toString(), "--timesteps", "100");
    assertEquals(0, r.code(), r.all());
    byte[] png = Files.readAllBytes(out.resolve("schedules.png"));
    assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, Arrays.copyOf(png, 4));
    // the table's rows are fractions of T
    assertTrue(r.out().contains("0.50"), r.all());
    assertTrue(r.out().contains("wrote"), r.all());
  }

  @Test
  void tooFewStepsForTheLinearScheduleIsAUsageError() {
    CliRun r =
        CliRun.run(tmp, "generate", "schedules", "--out", tmp.toString(), "--timesteps", "10");
    assertEquals(2, r.code(), r.all());
    assertTrue(r.err().contains("T = 10 scales betaEnd"), r.all());
  }
}
