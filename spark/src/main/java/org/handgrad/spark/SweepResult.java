package org.handgrad.spark;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How one configuration of a sweep ended.
 *
 * @param config the configuration
 * @param status {@code ok} (trained to the end), {@code failed} (diverged, threw, bad option) or
 *     {@code done-earlier} (finished by an earlier run of the same sweep, read back from its
 *     folder)
 * @param bestValAcc best validation accuracy, NaN when failed
 * @param testAcc test accuracy of the best parameters, NaN when failed
 * @param seconds wall time of the training task (0 for {@code done-earlier})
 * @param runFolder the configuration's run folder, or null when none was made
 * @param error why it failed (the {@code error:} lines of {@code train}, or the exception), or null
 * @param worker the executor that ran it ("driver" in local mode), or null
 */
public record SweepResult(
    SweepConfig config,
    String status,
    double bestValAcc,
    double testAcc,
    double seconds,
    String runFolder,
    String error,
    String worker)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Status of a finished training. */
  public static final String OK = "ok";

  /** Status of a configuration that did not finish. */
  public static final String FAILED = "failed";

  /** Status of a configuration finished by an earlier run of the sweep. */
  public static final String DONE_EARLIER = "done-earlier";

  /** Whether the configuration trained to the end (now or earlier). */
  public boolean finished() {
    return !status.equals(FAILED);
  }

  /** As a JSON-ready map. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("index", config.index());
    m.put("values", new LinkedHashMap<>(config.values()));
    m.put("status", status);
    m.put("best_val_acc", Double.isNaN(bestValAcc) ? null : bestValAcc);
    m.put("test_acc", Double.isNaN(testAcc) ? null : testAcc);
    m.put("seconds", seconds);
    m.put("run_folder", runFolder);
    m.put("error", error);
    m.put("worker", worker);
    return m;
  }
}
