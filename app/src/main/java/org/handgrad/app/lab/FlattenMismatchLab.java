package org.handgrad.app.lab;

import static org.handgrad.app.lab.LabSummary.fmt;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.handgrad.app.report.Plots;
import org.handgrad.nn.Module;
import org.handgrad.nn.Parameter;
import org.handgrad.nn.Sequential;
import org.handgrad.nn.functional.ConvParam;
import org.handgrad.nn.functional.Losses;
import org.handgrad.nn.init.Init;
import org.handgrad.nn.modules.Conv2d;
import org.handgrad.nn.modules.Linear;
import org.handgrad.nn.modules.MaxPool2d;
import org.handgrad.nn.modules.ReLU;
import org.handgrad.optim.SolverOptions;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * Debug handbook, "a flatten shape mismatch". The first affine layer after a conv stack must be
 * built with D = C'*H'*W' of the last conv block's output, which follows from the output-size
 * formulas (CS231n notes "Convolutional Networks": {@code (W - F + 2P) / S + 1} for a conv, {@code
 * (W - F) / S + 1} for a pool). Two classic wrong values: the pooling forgotten (D of the conv
 * output) and C*H*W of the input. Both fail at the first forward pass; the lab shows handgrad's
 * message, which names the layer, both shapes and the D to use, then trains the net built with the
 * derived D. The silent relative of the bug, flattening in another order (channels last, as a
 * TensorFlow/Keras model does, instead of channels first), raises nothing: the lab measures what it
 * does to a trained net's accuracy, and that a net trained in either order learns the same.
 *
 * <p>Dimension letters: N images, C channels, H height, W width, F filters, K classes.
 */
final class FlattenMismatchLab implements Lab {
  /** Filters of the conv layer. */
  static final int FILTERS = 8;

  /** Kernel size, padding and stride of the conv layer ("same" size: 3x3, pad 1, stride 1). */
  static final int KERNEL = 3;

  static final int PAD = 1;
  static final int STRIDE = 1;

  /** The 2x2 max pool with stride 2. */
  static final int POOL = 2;

  @Override
  public String name() {
    return "flatten-mismatch";
  }

  @Override
  public String description() {
    return "a conv net's first affine layer sized for the wrong flattened dimension: the error"
        + " message, the D derived from the output-size formulas, and the silent channels-last"
        + " flatten";
  }

  /**
   * A conv or pool output size along one spatial dimension: {@code 1 + (size + 2 * pad - kernel) /
   * stride}, requiring an exact tiling as CS231n (and handgrad's layers by default).
   *
   * @throws IllegalArgumentException when the stride does not divide {@code size + 2 * pad -
   *     kernel} or the kernel does not fit
   */
  static int outputSize(int size, int kernel, int pad, int stride) {
    int span = size + 2 * pad - kernel;
    if (span < 0 || span % stride != 0) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "output size: (%d + 2*%d - %d) / %d is not a whole number of steps",
              size,
              pad,
              kernel,
              stride));
    }
    return 1 + span / stride;
  }

  /**
   * (N, C*H*W) rows back to (N, C, H, W) images, so that a conv net takes the lab data's rows; the
   * backward pass flattens dx again. No parameters.
   */
  static final class Unflatten extends Module {
    private final int[] image;

    /**
     * @param image (C, H, W)
     */
    Unflatten(int... image) {
      this.image = image.clone();
    }

    /**
     * @param x rows, shape (N, C*H*W)
     * @return images, shape (N, C, H, W) (a view)
     */
    @Override
    public Tensor forward(Tensor x) {
      return x.contiguous().reshape(x.shape(0), image[0], image[1], image[2]);
    }

    /**
     * @param dout shape (N, C, H, W)
     * @return dx, shape (N, C*H*W)
     */
    @Override
    public Tensor backward(Tensor dout) {
      return dout.contiguous().reshape(dout.shape(0), -1);
    }
  }

  /**
   * Flattens (N, C, H, W) in channels-last order, (N, H, W, C) to (N, H*W*C): the order of a
   * TensorFlow/Keras model, where handgrad (as PyTorch and CS231n) flattens channels first. The
   * same numbers in another order, so the shapes match and nothing complains.
   */
  static final class ChannelsLastFlatten extends Module {
    private int[] inputShape;

    /**
     * @param x shape (N, C, H, W)
     * @return shape (N, H*W*C), feature index (h*W + w)*C + c
     */
    @Override
    public Tensor forward(Tensor x) {
      inputShape = x.shape();
      return x.permute(0, 2, 3, 1).contiguous().reshape(x.shape(0), -1);
    }

    /**
     * @param dout shape (N, H*W*C)
     * @return dx, shape (N, C, H, W): the same permutation undone
     */
    @Override
    public Tensor backward(Tensor dout) {
      if (inputShape == null) {
        throw noForward();
      }
      int[] s = inputShape;
      return dout.contiguous().reshape(s[0], s[2], s[3], s[1]).permute(0, 3, 1, 2).contiguous();
    }
  }

  /**
   * conv 3x3 (pad 1) - ReLU - [2x2 max pool] - [channels-last flatten] - affine, with a tap before
   * the affine layer; the affine layer (named "fc") flattens its input channels first itself, as
   * CS231n's affine layer, unless the channels-last flatten is in front of it.
   *
   * @param image (C, H, W) of the input rows
   * @param fcIn the D the affine layer is built with (the bug or the fix)
   * @param pool whether the net pools
   * @param channelsLast flatten channels last before the affine layer
   */
  static Sequential convNet(
      int[] image, int classes, int fcIn, boolean pool, boolean channelsLast, long seed) {
    var rng = Init.rng(seed);
    Sequential s = new Sequential();
    s.add("unflatten", new Unflatten(image));
    s.add(
        "conv",
        new Conv2d(image[0], FILTERS, KERNEL, new ConvParam(STRIDE, PAD), DType.FLOAT32, rng));
    s.add("relu", new ReLU());
    if (pool) {
      s.add("pool", new MaxPool2d(POOL));
    }
    s.add("tap", new LabNet.Tap());
    if (channelsLast) {
      s.add("flatten", new ChannelsLastFlatten());
    }
    s.add("fc", new Linear(fcIn, classes, DType.FLOAT32, rng));
    return s;
  }

  /** The message of the error the first forward pass raises, or null when it runs. */
  private static String firstForwardError(Sequential net, Tensor x) {
    try {
      net.forward(x);
      return null;
    } catch (IllegalArgumentException e) {
      return e.getMessage();
    }
  }

  @Override
  public void run(LabContext ctx) throws IOException {
    boolean quick = ctx.quick();
    LabData d = ctx.data(quick ? 2000 : 10_000, 1000);
    LabSummary s = ctx.summary();
    int[] image = d.imageShape();
    int c = image[0];
    int h = image[1];
    int w = image[2];
    int k = d.numClasses();
    int batch = 64;
    Tensor x = d.xTrain().slice(0, 0, batch).contiguous();

    // 1. The two wrong sizes, and what handgrad says.
    int convH = outputSize(h, KERNEL, PAD, STRIDE);
    int convW = outputSize(w, KERNEL, PAD, STRIDE);
    int noPool = FILTERS * convH * convW;
    int inputD = c * h * w;
    String forgotPool = firstForwardError(convNet(image, k, noPool, true, false, ctx.seed()), x);
    String usedInput = firstForwardError(convNet(image, k, inputD, true, false, ctx.seed()), x);
    ctx.say("affine layer built with D = %d (the pooling forgotten):%n  %s", noPool, forgotPool);
    ctx.say("affine layer built with D = %d (C*H*W of the input):%n  %s", inputD, usedInput);

    // 2. The derivation.
    int poolH = outputSize(convH, POOL, 0, POOL);
    int poolW = outputSize(convW, POOL, 0, POOL);
    int derived = FILTERS * poolH * poolW;
    List<String> derivation =
        List.of(
            String.format(
                Locale.ROOT, "input (N, %d, %d, %d), %d features per image", c, h, w, inputD),
            String.format(
                Locale.ROOT,
                "conv %dx%d, pad %d, stride %d, %d filters: H' = 1 + (%d + 2*%d - %d) / %d = %d,"
                    + " W' = %d: (N, %d, %d, %d)",
                KERNEL,
                KERNEL,
                PAD,
                STRIDE,
                FILTERS,
                h,
                PAD,
                KERNEL,
                STRIDE,
                convH,
                convW,
                FILTERS,
                convH,
                convW),
            String.format(
                Locale.ROOT, "ReLU: shape unchanged (N, %d, %d, %d)", FILTERS, convH, convW),
            String.format(
                Locale.ROOT,
                "max pool %dx%d, stride %d: H'' = 1 + (%d - %d) / %d = %d, W'' = %d: (N, %d, %d, %d)",
                POOL,
                POOL,
                POOL,
                convH,
                POOL,
                POOL,
                poolH,
                poolW,
                FILTERS,
                poolH,
                poolW),
            String.format(
                Locale.ROOT,
                "flatten: D = %d * %d * %d = %d, so the affine layer is Linear(%d, %d)",
                FILTERS,
                poolH,
                poolW,
                derived,
                derived,
                k));
    ctx.say("the D the affine layer needs, from the output-size formulas:");
    for (String line : derivation) {
      ctx.say("  %s", line);
    }

    // 3. The fixed net trains; the tap measures the shape the formulas predicted.
    int epochs = quick ? 1 : 3;
    SolverOptions options =
        SolverOptions.builder()
            .updateRule("adam", Map.of("learning_rate", 1e-3))
            .batchSize(50)
            .numEpochs(epochs)
            .numTrainSamples(1000)
            .seed(ctx.seed())
            .verbose(false)
            .build();
    Sequential fixedBody = convNet(image, k, derived, true, false, ctx.seed());
    LabNet fixed = new LabNet(fixedBody);
    String fixedError = firstForwardError(fixedBody, x);
    int[] measured = ((LabNet.Tap) fixedBody.children().get("tap")).activation().shape();
    LabContext.Trained trained = ctx.train("fixed, channels first", fixed, d, options);
    double firstLoss = trained.loss().get(0);
    double lastLoss = trained.finalLoss(10);

    // 4. The silent variant: channels-last flattening.
    Sequential portedBody = convNet(image, k, derived, true, true, ctx.seed());
    copyParameters(fixedBody, portedBody);
    String portedError = firstForwardError(portedBody, x);
    LabNet ported = new LabNet(portedBody);
    Tensor valScores = ported.loss(d.xVal());
    double portedAcc = Stats.accuracy(d.yVal(), Stats.argmax(valScores));
    double portedLoss = Losses.softmaxLoss(valScores, d.yVal()).loss();
    Tensor fixedScores = fixed.loss(d.xVal());
    double fixedAcc = Stats.accuracy(d.yVal(), Stats.argmax(fixedScores));
    double fixedValLoss = Losses.softmaxLoss(fixedScores, d.yVal()).loss();
    ctx.say(
        "the trained weights in a net that flattens channels last: no error, val acc %.3f"
            + " (channels first %.3f), val loss %s (%s)",
        portedAcc, fixedAcc, fmt(portedLoss), fmt(fixedValLoss));
    LabNet scratchNet = new LabNet(convNet(image, k, derived, true, true, ctx.seed()));
    LabContext.Trained scratch = ctx.train("channels last, trained", scratchNet, d, options);
    double scratchAcc = Stats.accuracy(d.yVal(), Stats.argmax(scratchNet.loss(d.xVal())));

    Plots.save(
        Plots.lines(
            "Training loss of the conv net with D = "
                + derived
                + " (derived), flattened channels first and channels last",
            "iteration",
            "loss",
            List.of(
                Plots.Series.of("channels first (handgrad, PyTorch)", toArray(trained.loss())),
                Plots.Series.of("channels last, trained so", toArray(scratch.loss()))),
            false,
            false,
            1000,
            460),
        ctx.file("loss.png"));
    Plots.bars(
        "Validation accuracy: a flatten order is only wrong relative to the weights",
        "val acc",
        List.of(
            "trained and run channels first",
            "trained and run channels last",
            "trained channels first, run channels last"),
        new double[] {fixedAcc, scratchAcc, portedAcc},
        ctx.file("flatten-order.png"));

    s.number("forgot_pool_d", noPool);
    s.number("input_d", inputD);
    s.number("derived_d", derived);
    s.number("measured_shape", Arrays.toString(measured));
    s.number("forgot_pool_message", String.valueOf(forgotPool));
    s.number("input_d_message", String.valueOf(usedInput));
    s.number("first_loss", firstLoss);
    s.number("last_loss", lastLoss);
    s.number("channels_first_val_acc", fixedAcc);
    s.number("channels_last_trained_val_acc", scratchAcc);
    s.number("ported_val_acc", portedAcc);
    s.number("ported_val_loss", portedLoss);
    s.number("channels_first_val_loss", fixedValLoss);

    String shapeOut = "(" + batch + ", " + FILTERS + ", " + poolH + ", " + poolW + ")";
    s.check(
        "A first affine layer sized for the wrong flattened dimension fails at the first forward"
            + " pass, and handgrad's message names the layer, the input shape, the weight shape"
            + " and the D to build it with",
        "pooling forgotten: `" + forgotPool + "`; input's C*H*W: `" + usedInput + "`",
        messageNames(forgotPool, shapeOut, "(" + noPool + ", " + k + ")", derived)
            && messageNames(usedInput, shapeOut, "(" + inputD + ", " + k + ")", derived));
    s.check(
        "The output-size formulas give the D: the derivation matches the shape the pool really"
            + " outputs",
        String.format(
            Locale.ROOT,
            "derived (N, %d, %d, %d), D = %d; measured %s",
            FILTERS,
            poolH,
            poolW,
            derived,
            Arrays.toString(measured)),
        fixedError == null
            && measured.length == 4
            && measured[1] * measured[2] * measured[3] == derived
            && measured[2] == poolH
            && measured[3] == poolW);
    s.check(
        "Built with the derived D, the net trains: its loss goes down",
        String.format(
            Locale.ROOT,
            "loss %s at iteration 1, %s over the last 10 of %d iterations",
            fmt(firstLoss),
            fmt(lastLoss),
            trained.loss().size()),
        trained.diverged() == null && lastLoss < 0.75 * firstLoss);
    s.check(
        "Flattening in another order (channels last) raises no error, yet weights trained with"
            + " one order are wrong in a net that flattens in the other: the accuracy falls"
            + " (by more than 0.2), with nothing to say why",
        String.format(
            Locale.ROOT,
            "error raised: %s; val acc %s (as trained) vs %s (channels last), val loss %s vs %s",
            portedError == null ? "none" : portedError,
            fmt(fixedAcc),
            fmt(portedAcc),
            fmt(fixedValLoss),
            fmt(portedLoss)),
        portedError == null && portedAcc < fixedAcc - 0.2);
    s.check(
        "The order itself is harmless: a net trained from scratch with the channels-last flatten"
            + " learns as well (validation accuracy within 0.05)",
        String.format(
            Locale.ROOT,
            "val acc %s (channels last, trained so) vs %s (channels first)",
            fmt(scratchAcc),
            fmt(fixedAcc)),
        scratch.diverged() == null && Math.abs(scratchAcc - fixedAcc) < 0.05);

    s.text(
        "The net: conv "
            + KERNEL
            + "x"
            + KERNEL
            + " ("
            + FILTERS
            + " filters, pad "
            + PAD
            + ") - ReLU - 2x2 max pool - affine to "
            + k
            + " classes, on "
            + c
            + "x"
            + h
            + "x"
            + w
            + " images; the affine layer flattens its (N, C, H, W) input itself, channels first,"
            + " as CS231n's affine_forward. The derivation of D:\n\n    "
            + String.join("\n    ", derivation));
    s.text(
        "Trained with Adam (lr 1e-3, batch 50) for "
            + epochs
            + " epoch(s). The silent variant: the trained weights put into the same net with a"
            + " channels-last flatten in front of the affine layer (what happens when weights"
            + " cross between a channels-first and a channels-last framework without permuting"
            + " the affine weight's rows), and the channels-last net trained from the same"
            + " initialization. A learner sees no exception and no NaN; only the accuracy, or a"
            + " loss that will not come down for imported weights, says that anything is wrong.");
    s.figure("loss.png", "The fixed net's training loss, for both flatten orders");
    s.figure("flatten-order.png", "Validation accuracy by flatten order of training and use");
  }

  /** Whether an error message names the layer "fc", both shapes and the D to use. */
  static boolean messageNames(String message, String inputShape, String weightShape, int d) {
    return message != null
        && message.contains("'fc'")
        && message.contains(inputShape)
        && message.contains(weightShape)
        && message.contains("in=" + d);
  }

  /** Copies every parameter value by name (the two nets differ only in parameter-free modules). */
  private static void copyParameters(Module from, Module to) {
    List<Parameter> src = from.parameters();
    List<Parameter> dst = to.parameters();
    for (int i = 0; i < src.size(); i++) {
      if (!src.get(i).name().equals(dst.get(i).name())) {
        throw new IllegalStateException(
            "flatten-mismatch: parameter " + src.get(i).name() + " vs " + dst.get(i).name());
      }
      dst.get(i).value().copyFrom(src.get(i).value());
    }
  }

  private static double[] toArray(List<Double> v) {
    return v.stream().mapToDouble(Double::doubleValue).toArray();
  }
}
