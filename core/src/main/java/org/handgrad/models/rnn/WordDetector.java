package org.handgrad.models.rnn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.handgrad.nn.Parameter;
import org.handgrad.nn.functional.Affine;
import org.handgrad.nn.functional.Forward;
import org.handgrad.nn.functional.Losses;
import org.handgrad.nn.functional.SigmoidCrossEntropy;
import org.handgrad.optim.GradClip;
import org.handgrad.optim.Optimizer;
import org.handgrad.optim.UpdateRule;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Rng;
import org.handgrad.tensor.Tensor;

/**
 * Pretraining of an image encoder as a visual word detector (Fang et al., "From captions to visual
 * concepts and back", CVPR 2015): a linear head on the encoder's features predicts, for every word
 * of the vocabulary, whether it occurs in one of the image's captions (multi-label sigmoid
 * cross-entropy). The captions themselves are the labels, so no other annotation is needed.
 *
 * <pre>
 *   features = encoder(images)                 (N, D)
 *   logits   = features W_det + b_det          (N, V)
 *   loss     = sigmoid cross-entropy(logits, bag of words)
 * </pre>
 *
 * <p>Why: trained end to end from scratch, the captioner's only path from the image is the initial
 * hidden state, and the decoder learns the caption language model much faster than the encoder
 * learns to see; once its first step saturates, the gradient reaching the encoder vanishes
 * (measured in docs/conventions.md, "captioning"). Features pretrained this way are informative
 * from the first captioning step, as CS231n's pretrained CNN features are. The head is discarded
 * afterwards; the encoder goes on training with the captioner.
 *
 * <p>Dimensions: N images, D features, V vocabulary, M captions.
 */
public final class WordDetector {
  private final ImageEncoder encoder;
  private final Parameter w; // (D, V)
  private final Parameter b; // (V,)
  private final List<Parameter> params;

  /**
   * A detector head on an encoder.
   *
   * @param encoder the encoder to pretrain (trained in place)
   * @param vocabSize V
   * @param dtype of the head, the encoder's dtype
   * @param seed seeds the head's initialisation (N(0, 1/D) weights, zero bias)
   */
  public WordDetector(ImageEncoder encoder, int vocabSize, DType dtype, long seed) {
    this.encoder = Objects.requireNonNull(encoder, "encoder");
    // Region features (N, R, D) are flattened for the head: (N, R*D), positions kept.
    int d = encoder.featureDim() * Math.max(1, encoder.regions());
    w = new Parameter("det.w", new Rng(seed).normal(dtype, 0, 1 / Math.sqrt(d), d, vocabSize));
    b = new Parameter("det.b", Tensor.zeros(dtype, vocabSize));
    List<Parameter> all = new ArrayList<>(encoder.parameters());
    all.add(w);
    all.add(b);
    params = List.copyOf(all);
  }

  /** The encoder's parameters, then the head's ("det.w" (D, V), "det.b" (V,)). */
  public List<Parameter> parameters() {
    return params;
  }

  /**
   * The multi-hot word targets of every image: 1 for each word that occurs in one of its captions,
   * the special tokens excluded (never 1).
   *
   * @param data captions (M, T) and their images
   * @param vocabSize V
   * @param dtype of the result
   * @return targets, shape (N, V) with N = the number of images of {@code data}
   */
  public static Tensor bagOfWords(
      CaptionData data, int vocabSize, SpecialTokens tokens, DType dtype) {
    int n = data.images().shape(0);
    int t = data.captions().shape(1);
    int[] captions = data.captions().toIntArray();
    int[] owner = data.imageIndex();
    double[] bag = new double[n * vocabSize];
    for (int m = 0; m < owner.length; m++) {
      for (int j = 0; j < t; j++) {
        int word = captions[m * t + j];
        if (word < 0 || word >= vocabSize) {
          throw new IllegalArgumentException(
              "bagOfWords: token "
                  + word
                  + " of caption "
                  + m
                  + " is outside [0, V="
                  + vocabSize
                  + ")");
        }
        if (word != tokens.nullIdx() && word != tokens.startIdx() && word != tokens.endIdx()) {
          bag[owner[m] * vocabSize + word] = 1;
        }
      }
    }
    return Tensor.of(bag, n, vocabSize).to(dtype);
  }

  /**
   * One training step's forward and backward pass: zeroes every gradient, then fills them.
   *
   * @param images encoder input, shape (N, ...)
   * @param targets word targets, shape (N, V)
   * @return the loss, summed over words and divided by N
   */
  public double loss(Tensor images, Tensor targets) {
    params.forEach(Parameter::zeroGrad);
    Tensor features = encoder.forward(images, true);
    Forward<Affine.Cache> logits = Affine.affineForward(features, w.value(), b.value());
    Losses.Loss loss = SigmoidCrossEntropy.sigmoidCrossEntropyLoss(logits.out(), targets);
    Affine.Grads g = Affine.affineBackward(loss.dx(), logits.cache());
    w.accumulateGrad(g.dw());
    b.accumulateGrad(g.db());
    encoder.backward(g.dx());
    return loss.loss();
  }

  /**
   * Word probabilities in test mode.
   *
   * @param images encoder input, shape (N, ...)
   * @return sigmoid(logits), shape (N, V)
   */
  public Tensor probabilities(Tensor images) {
    Tensor features = encoder.forward(images, false);
    return Affine.affineForward(features, w.value(), b.value()).out().sigmoid();
  }

  /**
   * Micro-averaged detection scores at a threshold: a word is detected when its probability exceeds
   * it.
   *
   * @param precision detected words that are right
   * @param recall words present that are detected
   * @param f1 harmonic mean of the two
   */
  public record Scores(double precision, double recall, double f1) {
    /**
     * Scores probabilities against targets.
     *
     * @param probabilities shape (N, V)
     * @param targets 0/1, shape (N, V)
     */
    public static Scores of(Tensor probabilities, Tensor targets, double threshold) {
      double[] p = probabilities.toDoubleArray();
      double[] y = targets.toDoubleArray();
      long tp = 0;
      long detected = 0;
      long present = 0;
      for (int i = 0; i < p.length; i++) {
        boolean hit = p[i] > threshold;
        boolean there = y[i] > 0.5;
        tp += hit && there ? 1 : 0;
        detected += hit ? 1 : 0;
        present += there ? 1 : 0;
      }
      double precision = detected == 0 ? 0 : (double) tp / detected;
      double recall = present == 0 ? 0 : (double) tp / present;
      double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
      return new Scores(precision, recall, f1);
    }
  }

  /** Called after every pretraining epoch. */
  public interface Listener {
    /**
     * @param epoch 0-based
     * @param meanLoss mean minibatch loss of the epoch
     */
    void onEpochEnd(int epoch, double meanLoss);
  }

  /**
   * Pretrains with the captioning trainer's settings (update rule, learning rate and per-epoch
   * decay, batch size, epochs, clipping, seed); minibatches are slices of a per-epoch permutation
   * of the images drawn as in {@link CaptioningTrainer}.
   *
   * @param images encoder input of all images, shape (N, ...)
   * @param targets word targets, shape (N, V)
   * @return the loss of every update
   */
  public List<Double> train(
      Tensor images, Tensor targets, CaptioningTrainer.Options options, Listener listener) {
    int n = images.shape(0);
    if (targets.ndim() != 2 || targets.shape(0) != n) {
      throw new IllegalArgumentException(
          "WordDetector.train: expected targets (N, V) with N="
              + n
              + " (images "
              + images.shapeString()
              + "), got "
              + targets.shapeString());
    }
    Optimizer opt = new Optimizer(UpdateRule.byName(options.updateRule()));
    int batch = Math.min(options.batchSize(), n);
    int perEpoch = Math.max(n / batch, 1);
    List<Double> history = new ArrayList<>();
    for (int epoch = 0; epoch < options.numEpochs(); epoch++) {
      opt.setLearningRate(options.learningRate() * Math.pow(options.lrDecay(), epoch));
      int[] perm = new Rng(options.seed() + epoch * 0x9E3779B97F4A7C15L).permutation(n);
      double sum = 0;
      for (int k = 0; k < perEpoch; k++) {
        int[] rows = Arrays.copyOfRange(perm, k * batch, (k + 1) * batch);
        double loss = loss(images.take(0, rows).contiguous(), targets.take(0, rows).contiguous());
        if (!Double.isFinite(loss)) {
          throw new ArithmeticException(
              "WordDetector: loss is " + loss + " in epoch " + epoch + ", step " + k);
        }
        if (options.maxGradNorm() > 0) {
          GradClip.clipByGlobalNorm(params, options.maxGradNorm());
        }
        opt.step(params);
        history.add(loss);
        sum += loss;
      }
      if (listener != null) {
        listener.onEpochEnd(epoch, sum / perEpoch);
      }
    }
    return history;
  }
}
