package org.handgrad.models.rnn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.List;
import java.util.Map;
import org.handgrad.nn.Parameter;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.handgrad.testing.Fixtures;
import org.handgrad.testing.Golden;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The captioning loss, every gradient and greedy sampling against PyTorch modules
 * (scripts/fixtures/captioning.py): within 1e-10 at float64 and 1e-5 at float32, measured as max|a
 * - b| / max|b| ({@link Golden}).
 */
class CaptioningGoldenTest {
  private static final Map<String, Tensor> FIX = Fixtures.load("captioning");

  private static Tensor in(String key, DType dtype) {
    Tensor t = Fixtures.get(FIX, key);
    return t.dtype() == DType.INT32 ? t : t.to(dtype);
  }

  private static double tol(DType dtype) {
    return dtype == DType.FLOAT64 ? 1e-10 : 1e-5;
  }

  private static String tag(DType dtype) {
    return dtype == DType.FLOAT64 ? "f64" : "f32";
  }

  private static CaptioningRnn decoder(String c, CellType cell, DType dtype) {
    CaptioningRnn rnn =
        new CaptioningRnn(
            new CaptioningRnn.Config(10, 6, 5, 8, cell, dtype, 0, SpecialTokens.cs231n()));
    load(c, rnn.parameters(), dtype);
    return rnn;
  }

  private static void load(String c, List<Parameter> params, DType dtype) {
    for (Parameter p : params) {
      p.assign(in(c + "_" + p.name(), dtype));
    }
  }

  private static void assertGrads(String c, DType dtype, List<Parameter> params) {
    for (Parameter p : params) {
      Golden.assertClose(
          c + " d" + p.name(),
          p.grad(),
          in(c + "_" + tag(dtype) + "_d" + p.name(), dtype),
          tol(dtype));
    }
  }

  @ParameterizedTest
  @CsvSource({"rnn, FLOAT64", "rnn, FLOAT32", "lstm, FLOAT64", "lstm, FLOAT32"})
  void decoderLossGradientsAndGreedySampleMatchPyTorch(String c, DType dtype) {
    CaptioningRnn rnn = decoder(c, CellType.parse(c), dtype);
    Tensor features = in(c + "_features", dtype);
    CaptioningRnn.Loss loss = rnn.loss(features, in(c + "_captions", dtype));
    String r = c + "_" + tag(dtype) + "_";
    Golden.assertClose(c + " loss", loss.loss(), in(r + "loss", DType.FLOAT64).item(), tol(dtype));
    Golden.assertClose(c + " dfeatures", loss.dfeatures(), in(r + "dfeatures", dtype), tol(dtype));
    assertGrads(c, dtype, rnn.parameters());
    assertArrayEquals(
        Fixtures.get(FIX, r + "sample").toIntArray(), rnn.sample(features, 9).toIntArray());
  }

  @ParameterizedTest
  @CsvSource({"FLOAT64", "FLOAT32"})
  void convEncoderWithLstmEndToEndMatchesPyTorch(DType dtype) {
    String c = "conv_lstm";
    ConvEncoder enc = new ConvEncoder(new ConvEncoder.Config(3, 8, List.of(4, 6), 6, dtype, 0));
    load(c, enc.parameters(), dtype);
    CaptioningModel model = new CaptioningModel(enc, decoder(c, CellType.LSTM, dtype));
    double loss = model.loss(in(c + "_images", dtype), in(c + "_captions", dtype));
    Golden.assertClose(
        "loss", loss, in(c + "_" + tag(dtype) + "_loss", DType.FLOAT64).item(), tol(dtype));
    assertGrads(c, dtype, model.parameters());
  }
}
