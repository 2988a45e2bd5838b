package org.handgrad.app.lab;

import static org.handgrad.app.lab.LabTesting.num;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The knn-cv lab's quick form: cross-validation picks a k that predicts held-out accuracy. */
class KnnCvLabTest {
  @TempDir Path tmp;

  @Test
  void crossValidationPicksAModerateK() throws IOException {
    LabRunner.Outcome o = LabTesting.runQuick(tmp, "knn-cv", true);
    assertTrue(num(o, "best_k") > 1);
    assertTrue(num(o, "k100_cv_acc") < num(o, "best_cv_acc"));
    assertTrue(Math.abs(num(o, "held_out_acc") - num(o, "best_cv_acc")) < 0.05);
  }
}
