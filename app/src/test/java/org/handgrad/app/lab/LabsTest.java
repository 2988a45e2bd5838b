package org.handgrad.app.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.handgrad.app.report.HtmlReport;
import org.handgrad.app.train.DataSource;
import org.handgrad.data.DataDirs;
import org.handgrad.data.DatasetRegistry;
import org.handgrad.data.Downloader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each lab's {@code --quick} form end to end, asserting the direction of the effect it shows: the
 * tests fail if the effect disappears. Data: Fashion-MNIST from the system folder, or the shapes
 * fallback (never a download).
 */
class LabsTest {
  @TempDir Path tmp;

  private LabRunner.Outcome run(String name) throws IOException {
    DataSource source =
        new DataSource(
            DatasetRegistry.defaults(),
            DataDirs.resolve(null, Map.of(), tmp.resolve("home")),
            new Downloader(Duration.ofSeconds(1), Duration.ofSeconds(1)),
            new PrintWriter(new StringWriter()),
            () -> false);
    StringWriter out = new StringWriter();
    LabRunner.Outcome o =
        LabRunner.run(
            Labs.get(name),
            true,
            0,
            tmp.resolve("runs"),
            new PrintWriter(out, true),
            (n, v) -> LabData.load(source, false, n, v),
            List.of("--quick"));
    for (String f : List.of("config.json", "summary.md", "result.json", HtmlReport.FILE)) {
      assertTrue(Files.isRegularFile(o.dir().resolve(f)), f + " in " + o.dir());
    }
    String md = Files.readString(o.dir().resolve("summary.md"));
    for (LabSummary.Check c : o.summary().checks()) {
      assertTrue(md.contains(c.claim()), "summary lists the check " + c.claim());
    }
    assertTrue(o.summary().allAgree(), "every check agrees:\n" + md + "\n" + out);
    return o;
  }

  private static double num(LabRunner.Outcome o, String key) {
    Object v = o.summary().numbers().get(key);
    assertTrue(v instanceof Number, key + " is a number: " + v);
    return ((Number) v).doubleValue();
  }

  @Test
  void weightInitHeTrainsScaleOneStaysAtChanceZeroKeepsSymmetry() throws IOException {
    LabRunner.Outcome o = run("weight-init");
    assertTrue(num(o, "he_val_acc") > num(o, "1.0_val_acc") + 0.3);
    assertTrue(num(o, "1.0_val_acc") < 0.2);
    assertEquals(0.0, num(o, "zero_unit_spread_layer1"));
    assertTrue(num(o, "0.01_act_std_last") < 1e-3 * num(o, "0.01_act_std_first"));
    assertTrue(Files.isRegularFile(o.dir().resolve("activation-histograms.png")));
  }

  @Test
  void softmaxWithoutMaxSubtractionGoesNaNAndIsDiagnosed() throws IOException {
    LabRunner.Outcome o = run("softmax-nan");
    assertTrue(num(o, "naive_diverged_iteration") >= 1);
    assertTrue(((String) o.summary().numbers().get("diagnosis")).contains("max-subtraction"));
    assertTrue(Double.isFinite(num(o, "stable_final_loss")));
  }

  @Test
  void batchNormInTrainModeAndAtBatchTwoIsWorse() throws IOException {
    LabRunner.Outcome o = run("batchnorm");
    assertTrue(num(o, "train_mode_one_class_batches_acc") < num(o, "eval_mode_acc") - 0.2);
    assertTrue(num(o, "batch2_val_acc") < num(o, "batch64_val_acc"));
  }

  @Test
  void brokenBatchNormBackwardFailsTheGradientCheck() throws IOException {
    LabRunner.Outcome o = run("broken-backward");
    assertTrue(num(o, "correct_rel_error") < 1e-7);
    assertTrue(num(o, "no_mean_path_rel_error") > 1e-3);
    assertTrue(num(o, "no_var_path_rel_error") > 1e-3);
  }

  @Test
  void momentumAndAdaptiveRulesBeatVanillaSgd() throws IOException {
    LabRunner.Outcome o = run("optimizers");
    double sgd = num(o, "sgd_final_loss");
    for (String r : List.of("sgd_momentum", "nesterov", "rmsprop", "adam", "adamw")) {
      assertTrue(num(o, r + "_final_loss") < sgd, r + " below sgd");
    }
  }

  @Test
  void sigmoidGradientsVanishReluOnesDoNot() throws IOException {
    LabRunner.Outcome o = run("activations");
    assertTrue(num(o, "sigmoid_ratio_first_over_last") < 1e-2);
    assertTrue(
        num(o, "relu_ratio_first_over_last") > 100 * num(o, "sigmoid_ratio_first_over_last"));
  }

  @Test
  void unknownLabNamesTheKnownOnes() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Labs.get("nope"));
    assertTrue(e.getMessage().contains("weight-init") && e.getMessage().contains("nope"));
  }
}
