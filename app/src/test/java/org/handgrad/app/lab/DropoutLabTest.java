package org.handgrad.app.lab;

import static org.handgrad.app.lab.LabTesting.num;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The dropout lab's quick form: dropout shrinks the train/validation gap. */
class DropoutLabTest {
  @TempDir Path tmp;

  @Test
  void dropoutShrinksTheOverfittingGap() throws IOException {
    LabRunner.Outcome o = LabTesting.runQuick(tmp, "dropout", false);
    assertTrue(num(o, "keep_1.0_gap") > 0.1, "the plain net overfits 500 examples");
    assertTrue(num(o, "keep_0.25_gap") < num(o, "keep_1.0_gap"), "dropout shrinks the gap");
    assertTrue(num(o, "keep_0.25_train_acc") < num(o, "keep_1.0_train_acc"));
    assertTrue(Files.isRegularFile(o.dir().resolve("gap.png")));
  }
}
