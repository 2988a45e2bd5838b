package org.handgrad.models.rnn;

import java.util.Locale;

/** The recurrent cell of a captioning decoder (CS231n's {@code cell_type}). */
public enum CellType {
  /** Vanilla tanh RNN: one gate block, Wx (W, H). */
  RNN(1),
  /** LSTM with CS231n's gate order i, f, o, g: four gate blocks, Wx (W, 4H). */
  LSTM(4);

  private final int gates;

  CellType(int gates) {
    this.gates = gates;
  }

  /** Number of H-wide blocks in Wx, Wh and b: 1 for the RNN, 4 for the LSTM. */
  public int gates() {
    return gates;
  }

  /** CS231n's name, "rnn" or "lstm". */
  public String cs231nName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * The cell for a CS231n name, case-insensitive.
   *
   * @throws IllegalArgumentException naming the known cells
   */
  public static CellType parse(String name) {
    return switch (name.toLowerCase(Locale.ROOT)) {
      case "rnn" -> RNN;
      case "lstm" -> LSTM;
      default ->
          throw new IllegalArgumentException("unknown cell type '" + name + "'; known: rnn, lstm");
    };
  }
}
