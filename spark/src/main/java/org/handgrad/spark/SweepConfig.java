package org.handgrad.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One configuration of a sweep: values for the swept {@code train} options, in grid order.
 *
 * @param index position in the sweep, from 0; names the run folder ({@code cfg-003-...})
 * @param values option name (without dashes, e.g. "lr") to its value as typed ("1e-4")
 */
public record SweepConfig(int index, Map<String, String> values) implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Copies the values, keeping their order. */
  public SweepConfig {
    if (index < 0) {
      throw new IllegalArgumentException("sweep config: index must be >= 0, got " + index);
    }
    values = new LinkedHashMap<>(values);
  }

  /** The run name, {@code cfg-003}. */
  public String runName() {
    return String.format(Locale.ROOT, "cfg-%03d", index);
  }

  /** The {@code train} arguments that set the values: {@code --lr 1e-4 --reg 0}. */
  public List<String> trainArgs() {
    List<String> args = new ArrayList<>();
    values.forEach(
        (k, v) -> {
          args.add("--" + k);
          args.add(v);
        });
    return args;
  }

  /** {@code lr=1e-4 reg=0}. */
  public String label() {
    StringBuilder sb = new StringBuilder();
    values.forEach(
        (k, v) -> sb.append(sb.length() == 0 ? "" : " ").append(k).append('=').append(v));
    return sb.toString();
  }
}
