package org.handgrad.app.lab;

import java.util.ArrayList;
import java.util.List;

/** Every lab, in the order {@code lab list} shows them (the order of the notes). */
public final class Labs {
  private Labs() {}

  /** New instances of all labs. */
  public static List<Lab> all() {
    return List.of(
        new MeanSubtractionLab(),
        new WeightInitLab(),
        new SoftmaxNanLab(),
        new BatchNormLab(),
        new BatchNormWeightScaleLab(),
        new BrokenBackwardLab(),
        new OptimizerLab(),
        new ActivationLab(),
        new RegStrengthLab(),
        new DropoutLab(),
        new LrScheduleLab(),
        new BatchSizeLab(),
        new NormBatchSizeLab(),
        new LrRegSearchLab(),
        new KnnCvLab(),
        new OverfitSmallLab(),
        new ReceptiveFieldLab(),
        new FlattenMismatchLab(),
        new RnnGradientLab(),
        new AttentionCostLab(),
        new DdpmScheduleLab());
  }

  /** Names of all labs. */
  public static List<String> names() {
    List<String> names = new ArrayList<>();
    for (Lab l : all()) {
      names.add(l.name());
    }
    return names;
  }

  /**
   * The lab of that name.
   *
   * @throws IllegalArgumentException naming the known labs
   */
  public static Lab get(String name) {
    for (Lab l : all()) {
      if (l.name().equals(name)) {
        return l;
      }
    }
    throw new IllegalArgumentException(
        "unknown lab '"
            + name
            + "'; labs: "
            + String.join(", ", names())
            + " (see ./handgrad lab list)");
  }
}
