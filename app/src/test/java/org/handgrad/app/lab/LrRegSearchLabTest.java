package org.handgrad.app.lab;

import static org.handgrad.app.lab.LabTesting.num;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lr-reg-search lab's quick form: a good region, bordered by too small a rate and too much
 * regularization.
 */
class LrRegSearchLabTest {
  @TempDir Path tmp;

  @Test
  void searchFindsAGoodRegionAndItsBorders() throws IOException {
    LabRunner.Outcome o = LabTesting.runQuick(tmp, "lr-reg-search", true);
    assertTrue(num(o, "best_val_acc") > 0.6);
    assertTrue(num(o, "best_val_acc") - num(o, "worst_val_acc") > 0.3);
    assertTrue(num(o, "lowest_lr_best_val_acc") < num(o, "best_val_acc") - 0.1);
    assertTrue(num(o, "strongest_reg_best_val_acc") < num(o, "best_val_acc") - 0.1);
    assertTrue(Files.size(o.dir().resolve("search.png")) > 1000);
  }
}
