package org.handgrad.models.rnn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.handgrad.nn.Parameter;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The CaptioningRnn contract: CS231n's notebook numbers, parameters, argument checks. */
class CaptioningRnnTest {

  /** {@code np.linspace(lo, hi, num=size).reshape(shape)}. */
  private static Tensor linspace(double lo, double hi, int... shape) {
    Tensor t = Tensor.zeros(DType.FLOAT64, shape);
    int n = t.size();
    for (int i = 0; i < n; i++) {
      t.setFlat(i, lo + i * (hi - lo) / (n - 1));
    }
    return t;
  }

  /**
   * The loss check of CS231n's RNN_Captioning / LSTM_Captioning notebooks: N, D, W, H = 10, 20, 30,
   * 40, V = 3, T = 13, every parameter {@code np.linspace(-1.4, 1.3)}, features {@code
   * np.linspace(lo, hi)} ((-1.5, 0.3) in the RNN notebook, (-0.5, 1.7) in the LSTM one), captions
   * {@code arange(N*T) % V}.
   */
  @ParameterizedTest
  @CsvSource({"RNN, -1.5, 0.3, 9.83235591003", "LSTM, -0.5, 1.7, 9.82445935443"})
  void cs231nNotebookLoss(CellType cell, double lo, double hi, double expected) {
    CaptioningRnn rnn =
        new CaptioningRnn(
            new CaptioningRnn.Config(
                3, 20, 30, 40, cell, DType.FLOAT64, 0, SpecialTokens.cs231n()));
    for (Parameter p : rnn.parameters()) {
      p.assign(linspace(-1.4, 1.3, p.shape()));
    }
    Tensor features = linspace(lo, hi, 10, 20);
    int[] c = new int[10 * 13];
    for (int i = 0; i < c.length; i++) {
      c[i] = i % 3;
    }
    double loss = rnn.loss(features, Tensor.of(c, 10, 13)).loss();
    assertEquals(expected, loss, 1e-10); // the notebook prints 11 digits
  }

  @Test
  void parametersHaveCs231nNamesAndShapes() {
    CaptioningRnn rnn =
        new CaptioningRnn(
            new CaptioningRnn.Config(
                7, 4, 3, 5, CellType.LSTM, DType.FLOAT32, 0, SpecialTokens.cs231n()));
    List<Parameter> ps = rnn.parameters();
    String[] names = {"W_proj", "b_proj", "W_embed", "Wx", "Wh", "b", "W_vocab", "b_vocab"};
    int[][] shapes = {{4, 5}, {5}, {7, 3}, {3, 20}, {5, 20}, {20}, {5, 7}, {7}};
    assertEquals(names.length, ps.size());
    for (int i = 0; i < names.length; i++) {
      assertEquals(names[i], ps.get(i).name());
      assertArrayEquals(shapes[i], ps.get(i).shape(), names[i]);
      assertEquals(DType.FLOAT32, ps.get(i).dtype());
    }
    // CS231n's initialisation scales: W_embed ~ N(0, 1e-4), biases 0.
    assertTrue(ps.get(2).value().abs().max().item() < 0.05);
    assertEquals(0, ps.get(5).value().abs().max().item());
  }

  @Test
  void lossOverwritesGradientsInsteadOfAccumulating() {
    CaptioningRnn rnn = CaptioningChecks.tinyDecoder(CellType.RNN, 1);
    Tensor f = CaptioningChecks.normal(2, 1, 3, 4);
    Tensor c = CaptioningChecks.randomCaptions(3, 3, 6, 8);
    rnn.loss(f, c);
    Tensor first = rnn.parameters().get(3).grad().copy();
    rnn.loss(f, c);
    assertArrayEquals(first.toDoubleArray(), rnn.parameters().get(3).grad().toDoubleArray());
  }

  @Test
  void paddingDoesNotChangeTheLoss() {
    CaptioningRnn rnn = CaptioningChecks.tinyDecoder(CellType.LSTM, 1);
    Tensor f = CaptioningChecks.normal(2, 1, 3, 4);
    Tensor c = CaptioningChecks.randomCaptions(3, 3, 6, 8);
    // Three more <NULL> columns: masked targets, and inputs whose outputs are masked.
    Tensor padded = Tensor.concatenate(1, c, Tensor.zeros(DType.INT32, 3, 3));
    CaptioningRnn.Loss a = rnn.loss(f, c);
    Tensor dwx = rnn.parameters().get(3).grad().copy();
    CaptioningRnn.Loss b = rnn.loss(f, padded);
    assertEquals(a.loss(), b.loss(), 1e-12);
    assertArrayEquals(a.dfeatures().toDoubleArray(), b.dfeatures().toDoubleArray(), 1e-12);
    assertArrayEquals(dwx.toDoubleArray(), rnn.parameters().get(3).grad().toDoubleArray(), 1e-12);
  }

  @Test
  void badInputsNameTheOpAndShapes() {
    CaptioningRnn rnn = CaptioningChecks.tinyDecoder(CellType.RNN, 1);
    Tensor f = CaptioningChecks.normal(2, 1, 3, 4);
    Tensor c = CaptioningChecks.randomCaptions(3, 3, 6, 8);
    assertMessage(
        "CaptioningRnn.loss: expected features (N, D) with D=4, got (3, 5)",
        () -> rnn.loss(CaptioningChecks.normal(2, 1, 3, 5), c));
    assertMessage(
        "CaptioningRnn.loss: features are float32 but the parameters are float64",
        () -> rnn.loss(f.to(DType.FLOAT32), c));
    assertMessage(
        "CaptioningRnn.loss: expected int32 captions (N, T) with N=3 (features (3, 4)) and T >= 2,"
            + " got int32 (2, 6)",
        () -> rnn.loss(f, c.slice(0, 0, 2)));
    assertMessage("got float32 (3, 6)", () -> rnn.loss(f, c.to(DType.FLOAT32)));
    assertMessage("T >= 2, got int32 (3, 1)", () -> rnn.loss(f, c.slice(1, 0, 1)));
    Tensor bad = c.copy();
    bad.set(8, 1, 2);
    assertMessage("token id 8 at (1, 2) is outside [0, V) with V = 8", () -> rnn.loss(f, bad));
  }

  @Test
  void configRejectsBadSizesAndIds() {
    assertMessage(
        "sizes must be > 0",
        () ->
            new CaptioningRnn.Config(
                5, 0, 3, 4, CellType.RNN, DType.FLOAT64, 0, SpecialTokens.cs231n()));
    assertMessage(
        "must lie in [0, V=2)",
        () ->
            new CaptioningRnn.Config(
                2, 1, 3, 4, CellType.RNN, DType.FLOAT64, 0, SpecialTokens.cs231n()));
    assertMessage(
        "float32 or float64",
        () ->
            new CaptioningRnn.Config(
                5, 1, 3, 4, CellType.RNN, DType.INT32, 0, SpecialTokens.cs231n()));
    assertMessage("distinct", () -> new SpecialTokens(0, 0, 2));
    assertMessage("known: rnn, lstm", () -> CellType.parse("gru"));
  }

  private static void assertMessage(String part, Runnable r) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
    assertTrue(e.getMessage().contains(part), e.getMessage());
  }

  /**
   * {@link #cs231nNotebookLoss} ported as the notebooks write it, the model built from a {@code
   * word_to_idx} map. The notebooks' map is {@code {'<NULL>': 0, 'cat': 2, 'dog': 3}}: V = 3 and
   * only {@code <NULL>} matters to the loss; handgrad also needs {@code <START>} and {@code <END>}
   * and indices in [0, V), so the same V = 3 map is {@code <NULL>, <START>, <END>}, and the
   * expected losses are the notebooks'.
   */
  @ParameterizedTest
  @CsvSource({"rnn, -1.5, 0.3, 9.83235591003", "lstm, -0.5, 1.7, 9.82445935443"})
  void notebookLossFromWordToIdx(String cell, double lo, double hi, double expected) {
    int n = 10;
    int d = 20;
    int w = 30;
    int h = 40;
    int t = 13;
    Map<String, Integer> wordToIdx = Map.of("<NULL>", 0, "<START>", 1, "<END>", 2);
    int v = wordToIdx.size();
    CaptioningRnn model = new CaptioningRnn(wordToIdx, d, w, h, cell, DType.FLOAT64);
    assertEquals(new SpecialTokens(0, 1, 2), model.tokens());
    assertEquals(v, model.vocabSize());
    assertEquals(CellType.parse(cell), model.config().cellType());
    for (Parameter p : model.parameters()) {
      p.assign(linspace(-1.4, 1.3, p.shape()));
    }
    Tensor features = linspace(lo, hi, n, d);
    int[] ids = new int[n * t];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = i % v;
    }
    double loss = model.loss(features, Tensor.of(ids, n, t)).loss();
    assertEquals(expected, loss, 1e-10, cell);
  }

  @Test
  void wordToIdxErrorsNameTheProblem() {
    IllegalArgumentException missing =
        assertThrows(
            IllegalArgumentException.class,
            () -> new CaptioningRnn(Map.of("<NULL>", 0, "cat", 1, "dog", 2), 4, 3, 5, "rnn"));
    assertTrue(
        missing.getMessage().contains("missing special token <START>"), missing.getMessage());
    IllegalArgumentException range =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                new CaptioningRnn(Map.of("<NULL>", 0, "<START>", 1, "<END>", 3), 4, 3, 5, "lstm"));
    assertTrue(
        range.getMessage().contains("distinct indices in [0, 3)")
            && range.getMessage().contains("'<END>' -> 3 is outside"),
        range.getMessage());
    IllegalArgumentException cellType =
        assertThrows(
            IllegalArgumentException.class,
            () -> new CaptioningRnn(Map.of("<NULL>", 0, "<START>", 1, "<END>", 2), 4, 3, 5, "gru"));
    assertTrue(cellType.getMessage().contains("unknown cell type 'gru'"), cellType.getMessage());
    CaptioningRnn float32 =
        new CaptioningRnn(Map.of("<END>", 0, "<NULL>", 1, "<START>", 2), 4, 3, 5, "rnn");
    assertEquals(DType.FLOAT32, float32.dtype(), "CS231n's default dtype");
    assertEquals(new SpecialTokens(1, 2, 0), float32.tokens());
  }
}
