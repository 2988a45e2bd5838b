package org.handgrad.app.lab;

import static org.handgrad.app.lab.LabTesting.num;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lr-schedules lab's quick form: annealing ends lower than a constant rate, and warm-up gets
 * through a rate that makes a cold start diverge.
 */
class LrScheduleLabTest {
  @TempDir Path tmp;

  @Test
  void annealedSchedulesEndBelowTheConstantRate() throws IOException {
    LabRunner.Outcome o = LabTesting.runQuick(tmp, "lr-schedules", true);
    assertTrue(num(o, "step_final_loss") < num(o, "constant_final_loss"));
    assertTrue(num(o, "cosine_final_loss") < num(o, "constant_final_loss"));
    assertEquals(Boolean.TRUE, o.summary().numbers().get("cold_diverged"));
    assertEquals(Boolean.FALSE, o.summary().numbers().get("warm_diverged"));
    assertTrue(Files.isRegularFile(o.dir().resolve("schedules.png")));
  }
}
