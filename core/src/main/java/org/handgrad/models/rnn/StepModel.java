package org.handgrad.models.rnn;

import java.util.Objects;
import org.handgrad.tensor.Tensor;

/**
 * A left-to-right token model as the decoders see it: a recurrent state per sequence, built from
 * the conditioning features, and one step that scores the next token from the previous one.
 *
 * <p>Dimensions: N sequences (rows), D feature dimension, V vocabulary. The state is an array of
 * tensors whose first axis is N (the RNN has {h}, the LSTM {h, c}); decoders never look inside it,
 * they only keep rows ({@code take(0, rows)}) when beams are reordered, so any model whose state is
 * row-aligned can be decoded.
 */
public interface StepModel {

  /** Vocabulary size V: the width of the scores. */
  int vocabSize();

  /**
   * The state before the first step.
   *
   * @param features conditioning features, shape (N, D)
   * @return state tensors, each of shape (N, ...)
   */
  Tensor[] initialState(Tensor features);

  /**
   * Scores the next token of every row.
   *
   * @param tokens the previous token of each row (the start token at the first step), length N
   * @param state the state after the previous step, each tensor (N, ...); not modified
   * @return unnormalised log-probabilities (N, V) and the state after this step
   */
  Step step(int[] tokens, Tensor[] state);

  /**
   * One step's result.
   *
   * @param scores unnormalised next-token log-probabilities (logits), shape (N, V)
   * @param state the new state, each tensor (N, ...)
   */
  record Step(Tensor scores, Tensor[] state) {
    /** Validates presence. */
    public Step {
      Objects.requireNonNull(scores, "scores");
      Objects.requireNonNull(state, "state");
    }
  }
}
