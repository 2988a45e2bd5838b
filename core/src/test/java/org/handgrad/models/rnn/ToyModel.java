package org.handgrad.models.rnn;

import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * A hand-made {@link StepModel} for decoding tests: each row's state is a small float64 vector
 * (starting as the row's features), and a rule maps (previous token, state) to next-token
 * probabilities and the next state. Scores are log-probabilities.
 */
final class ToyModel implements StepModel {
  /** The rule of one row. */
  interface Rule {
    /**
     * @param prev previous token
     * @param state the row's state (modifiable: becomes the next state)
     * @return next-token probabilities, length V (tiny entries allowed, zeros are floored)
     */
    double[] next(int prev, double[] state);
  }

  // Token ids of the toy vocabulary.
  static final int NULL = 0;
  static final int START = 1;
  static final int END = 2;
  static final int A = 3;
  static final int B = 4;
  static final int V = 5;
  static final SpecialTokens TOKENS = SpecialTokens.cs231n();

  private final Rule rule;
  int stepCalls;
  int rowsScored;

  ToyModel(Rule rule) {
    this.rule = rule;
  }

  /** Probabilities over the toy vocabulary, from (token, p) pairs; the rest share nothing. */
  static double[] probs(double... tokenProb) {
    double[] p = new double[V];
    for (int i = 0; i < tokenProb.length; i += 2) {
      p[(int) tokenProb[i]] = tokenProb[i + 1];
    }
    return p;
  }

  @Override
  public int vocabSize() {
    return V;
  }

  @Override
  public Tensor[] initialState(Tensor features) {
    return new Tensor[] {features.to(DType.FLOAT64).copy()};
  }

  @Override
  public Step step(int[] tokens, Tensor[] state) {
    stepCalls++;
    rowsScored += tokens.length;
    int n = tokens.length;
    int s = state[0].shape(1);
    Tensor scores = Tensor.zeros(DType.FLOAT64, n, V);
    Tensor next = Tensor.zeros(DType.FLOAT64, n, s);
    for (int i = 0; i < n; i++) {
      double[] row = new double[s];
      for (int j = 0; j < s; j++) {
        row[j] = state[0].get(i, j);
      }
      double[] p = rule.next(tokens[i], row);
      for (int v = 0; v < V; v++) {
        scores.set(Math.log(Math.max(p[v], 1e-30)), i, v);
      }
      for (int j = 0; j < s; j++) {
        next.set(row[j], i, j);
      }
    }
    return new Step(scores, new Tensor[] {next});
  }
}
