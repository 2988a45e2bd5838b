package org.handgrad.models.fc;

/** Normalization between each hidden affine layer and its ReLU, CS231n's {@code normalization}. */
public enum Normalization {
  /** affine - relu. */
  NONE("none"),
  /** affine - batchnorm - relu (running statistics for test mode). */
  BATCHNORM("batchnorm"),
  /** affine - layernorm - relu (the same in train and test mode). */
  LAYERNORM("layernorm");

  private final String cliName;

  Normalization(String cliName) {
    this.cliName = cliName;
  }

  /** The CS231n / CLI spelling: "none", "batchnorm" or "layernorm". */
  public String cliName() {
    return cliName;
  }

  /**
   * Parses a CS231n / CLI name (null and "none" both mean none).
   *
   * @throws IllegalArgumentException naming the known values
   */
  public static Normalization byName(String name) {
    if (name == null) {
      return NONE;
    }
    for (Normalization n : values()) {
      if (n.cliName.equals(name)) {
        return n;
      }
    }
    throw new IllegalArgumentException(
        "unknown normalization '" + name + "'; known: none, batchnorm, layernorm");
  }
}
