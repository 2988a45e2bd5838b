package org.handgrad.app.lab;

import static org.handgrad.app.lab.LabTesting.num;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The overfit-small lab's quick form: the sanity checks pass for the correct net and catch the bug.
 */
class OverfitSmallLabTest {
  @TempDir Path tmp;

  @Test
  void correctNetMemorisesFiftyImagesBuggyOneCannot() throws IOException {
    LabRunner.Outcome o = LabTesting.runQuick(tmp, "overfit-small", true);
    assertEquals(Math.log(10), num(o, "initial_loss"), 0.05);
    assertEquals(1.0, num(o, "correct_train_acc"));
    assertTrue(num(o, "buggy_train_acc") < 0.5);
    assertTrue(num(o, "buggy_final_loss") > num(o, "buggy_first_loss"));
  }
}
