package org.handgrad.models.vae;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.random.RandomGenerator;
import org.handgrad.models.Nets;
import org.handgrad.nn.Module;
import org.handgrad.nn.Parameter;
import org.handgrad.nn.Sequential;
import org.handgrad.nn.functional.Forward;
import org.handgrad.nn.functional.GaussianKl;
import org.handgrad.nn.functional.Likelihoods;
import org.handgrad.nn.functional.Reparameterize;
import org.handgrad.nn.graph.Tape;
import org.handgrad.nn.graph.Var;
import org.handgrad.nn.init.Init;
import org.handgrad.nn.modules.Linear;
import org.handgrad.nn.modules.ReLU;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Rng;
import org.handgrad.tensor.Tensor;

/**
 * A variational autoencoder (Kingma and Welling 2014) with MLP encoder and decoder, the
 * architecture of the paper's MNIST experiments with ReLU units (as in PyTorch's VAE example):
 *
 * <pre>
 *   encoder   h = relu(x W1 + b1)                    x (N, D) flattened image, h (N, hidden)
 *             mu = h Wmu + bmu,  logvar = h Wlv + blv          (N, latent) each
 *   sample    z = mu + exp(logvar / 2) * eps,  eps ~ N(0, I)  (Reparameterize)
 *   decoder   out = relu(z W3 + b3) W4 + b4          (N, D): Bernoulli logits or Gaussian means
 *   loss      -ELBO = -log p(x|z) + KL(q(z|x) || N(0, I))     per example, in nats
 * </pre>
 *
 * <p>The encoder's hidden layer feeds both heads and mu and logvar feed both the sample and the KL
 * term, so the graph is not a chain: {@link #lossAndBackward} records it on a {@link Tape}, which
 * adds the gradients where paths meet; every derivative lives in a hand-written pair ({@link
 * Reparameterize}, {@link GaussianKl}, {@link Likelihoods}, the linear and ReLU layers).
 *
 * <p>Why an MLP and not a convnet: on 2 CPU cores one epoch of Fashion-MNIST with hidden 400 and
 * latent 20 takes seconds, and the paper's own MNIST results use this shape.
 *
 * <p>Parameters, by name: {@code encoder.0.{weight,bias}} (D, hidden), {@code mu.*} and {@code
 * logvar.*} (hidden, latent), {@code decoder.0.*} (latent, hidden), {@code decoder.2.*} (hidden,
 * D); weights stored (in, out) as every handgrad Linear. PyTorch's default initialization.
 *
 * <p>Dimension letters: N examples, D = C*H*W pixels, d latent units.
 */
public final class Vae {
  private static final String NAME = "vae";

  /** The decoder's output distribution. */
  public enum Likelihood {
    /** Independent Bernoulli pixels; the decoder outputs logits (binary cross-entropy). */
    BERNOULLI,
    /** Independent Gaussian pixels with a fixed standard deviation; the decoder outputs means. */
    GAUSSIAN
  }

  /**
   * Configuration.
   *
   * @param imageShape (C, H, W) of the images, each &gt;= 1
   * @param hidden width of the encoder's and the decoder's hidden layer, &gt;= 1
   * @param latent d, the latent size, &gt;= 1
   * @param likelihood the decoder's distribution
   * @param sigma the fixed standard deviation of the Gaussian likelihood (ignored for Bernoulli),
   *     finite and &gt; 0
   * @param dtype float32 or float64
   * @param seed seeds the initial weights
   */
  public record Config(
      int[] imageShape,
      int hidden,
      int latent,
      Likelihood likelihood,
      double sigma,
      DType dtype,
      long seed) {
    /** Validates every field with a message naming it; copies imageShape. */
    public Config {
      imageShape = Objects.requireNonNull(imageShape, NAME + ": imageShape").clone();
      if (imageShape.length != 3) {
        throw new IllegalArgumentException(
            NAME + ": imageShape must be (C, H, W), got " + Arrays.toString(imageShape));
      }
      for (int s : imageShape) {
        Nets.requireAtLeast(NAME, "imageShape", s, 1);
      }
      Nets.requireAtLeast(NAME, "hidden", hidden, 1);
      Nets.requireAtLeast(NAME, "latent size", latent, 1);
      Objects.requireNonNull(likelihood, NAME + ": likelihood");
      if (!(sigma > 0) || !Double.isFinite(sigma)) {
        throw new IllegalArgumentException(NAME + ": sigma must be finite and > 0, got " + sigma);
      }
      Nets.requireFloat(NAME, dtype);
    }

    /**
     * The default for Fashion-MNIST: (1, 28, 28), hidden 400, latent 20, Bernoulli, float32, seed
     * 0.
     */
    public static Config fashionMnist() {
      return new Config(
          new int[] {1, 28, 28}, 400, 20, Likelihood.BERNOULLI, 1.0, DType.FLOAT32, 0);
    }

    /** The same configuration with another latent size. */
    public Config withLatent(int newLatent) {
      return new Config(imageShape, hidden, newLatent, likelihood, sigma, dtype, seed);
    }

    /** The image shape (a copy). */
    @Override
    public int[] imageShape() {
      return imageShape.clone();
    }

    /** D = C * H * W. */
    public int pixels() {
      return imageShape[0] * imageShape[1] * imageShape[2];
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Config c
          && Arrays.equals(imageShape, c.imageShape)
          && hidden == c.hidden
          && latent == c.latent
          && likelihood == c.likelihood
          && Double.compare(sigma, c.sigma) == 0
          && dtype == c.dtype
          && seed == c.seed;
    }

    @Override
    public int hashCode() {
      return Objects.hash(
          Arrays.hashCode(imageShape), hidden, latent, likelihood, sigma, dtype, seed);
    }

    @Override
    public String toString() {
      return "Config[imageShape="
          + Arrays.toString(imageShape)
          + ", hidden="
          + hidden
          + ", latent="
          + latent
          + ", likelihood="
          + likelihood
          + ", sigma="
          + sigma
          + ", dtype="
          + dtype.numpyName()
          + ", seed="
          + seed
          + "]";
    }
  }

  /**
   * The mean terms of a batch, in nats per example.
   *
   * @param loss mean negative ELBO = reconstruction + kl
   * @param reconstruction mean -log p(x|z) over the batch (one z per example)
   * @param kl mean KL(q(z|x) || N(0, I))
   */
  public record Terms(double loss, double reconstruction, double kl) {}

  /**
   * The encoder's output.
   *
   * @param mu shape (N, d)
   * @param logvar shape (N, d)
   */
  public record Encoding(Tensor mu, Tensor logvar) {}

  /** Holds the layers as one module tree, so parameters get path names and one zeroGrad. */
  private static final class Layers extends Module {
    final Sequential encoder;
    final Linear mu;
    final Linear logvar;
    final Sequential decoder;

    Layers(Config c) {
      RandomGenerator rng = Init.rng(c.seed());
      DType dt = c.dtype();
      encoder =
          registerModule(
              "encoder", new Sequential(new Linear(c.pixels(), c.hidden(), dt, rng), new ReLU()));
      mu = registerModule("mu", new Linear(c.hidden(), c.latent(), dt, rng));
      logvar = registerModule("logvar", new Linear(c.hidden(), c.latent(), dt, rng));
      decoder =
          registerModule(
              "decoder",
              new Sequential(
                  new Linear(c.latent(), c.hidden(), dt, rng),
                  new ReLU(),
                  new Linear(c.hidden(), c.pixels(), dt, rng)));
    }

    @Override
    public Tensor forward(Tensor x) {
      throw new UnsupportedOperationException("Vae: call lossAndBackward, elbo or reconstruct");
    }

    @Override
    public Tensor backward(Tensor dout) {
      throw new UnsupportedOperationException("Vae: call lossAndBackward");
    }
  }

  private final Config config;
  private final Layers layers;

  /** A freshly initialized VAE. */
  public Vae(Config config) {
    this.config = Objects.requireNonNull(config, "config");
    this.layers = new Layers(config);
  }

  /** The configuration. */
  public Config config() {
    return config;
  }

  /** Every trainable parameter, by path name (see the class comment). */
  public List<Parameter> parameters() {
    return layers.parameters();
  }

  /** Non-trainable state: none (no BatchNorm, no dropout). */
  public Map<String, Tensor> buffers() {
    return layers.buffers();
  }

  /** Zeroes every parameter's gradient. */
  public void zeroGrad() {
    layers.zeroGrad();
  }

  // ---------------------------------------------------------------- training

  /**
   * One training pass: zeroes the gradients, records the negative ELBO of the batch with the given
   * noise, and back-propagates its mean over the batch into every parameter's gradient.
   *
   * @param x images, shape (N, C, H, W) or (N, D), values in [0, 1] for the Bernoulli likelihood
   * @param eps standard normal noise of the reparameterization, shape (N, d)
   * @return the batch means of the negative ELBO and its two terms, in nats
   * @throws IllegalArgumentException naming the shapes when x or eps do not fit
   */
  public Terms lossAndBackward(Tensor x, Tensor eps) {
    Tensor flat = flatten("lossAndBackward", x);
    checkEps("lossAndBackward", flat, eps);
    zeroGrad();
    Tape tape = new Tape();
    Var xin = tape.constant(flat);
    Var h = tape.module(layers.encoder, xin);
    Var mu = tape.module(layers.mu, h); // h feeds both heads: the tape adds their dh
    Var logvar = tape.module(layers.logvar, h);
    Forward<Reparameterize.Cache> r =
        Reparameterize.reparameterizeForward(mu.value(), logvar.value(), eps);
    Var z =
        tape.record(
            "reparameterize",
            r.out(),
            dz -> {
              Reparameterize.Grads g = Reparameterize.reparameterizeBackward(dz, r.cache());
              return new Tensor[] {g.dmu(), g.dlogvar()};
            },
            mu,
            logvar);
    Var out = tape.module(layers.decoder, z);
    Forward<Likelihoods.Cache> nll = negLogLikelihood(out.value(), flat);
    Var rec =
        tape.record(
            "reconstruction", nll.out(), d -> new Tensor[] {nllBackward(d, nll.cache())}, out);
    Forward<GaussianKl.Cache> kl = GaussianKl.gaussianKlForward(mu.value(), logvar.value());
    Var klv =
        tape.record(
            "kl",
            kl.out(),
            d -> {
              GaussianKl.Grads g = GaussianKl.gaussianKlBackward(d, kl.cache());
              return new Tensor[] {g.dmu(), g.dlogvar()};
            },
            mu,
            logvar);
    Var negElbo = tape.add(rec, klv); // (N,)
    int n = flat.shape(0);
    tape.backward(negElbo, Tensor.full(negElbo.value().dtype(), 1.0 / n, n));
    return new Terms(mean(negElbo.value()), mean(rec.value()), mean(klv.value()));
  }

  // ---------------------------------------------------------------- evaluation

  /**
   * The encoder's Gaussian q(z|x).
   *
   * @param x images, shape (N, C, H, W) or (N, D)
   * @return mu and logvar, each (N, d)
   */
  public Encoding encode(Tensor x) {
    Tensor h = layers.encoder.forward(flatten("encode", x));
    return new Encoding(layers.mu.forward(h), layers.logvar.forward(h));
  }

  /**
   * The mean of p(x|z): sigmoid(logits) for Bernoulli pixels, the mean for Gaussian ones.
   *
   * @param z latent codes, shape (N, d)
   * @return images, shape (N, C, H, W)
   */
  public Tensor decode(Tensor z) {
    if (z.ndim() != 2 || z.shape(1) != config.latent()) {
      throw new IllegalArgumentException(
          NAME + ".decode: expected z (N, " + config.latent() + "), got " + z.shapeString());
    }
    Tensor out = layers.decoder.forward(z);
    if (config.likelihood() == Likelihood.BERNOULLI) {
      out = out.sigmoid();
    }
    int[] s = config.imageShape();
    return out.reshape(z.shape(0), s[0], s[1], s[2]);
  }

  /**
   * Reconstructions through the posterior mean: decode(mu(x)).
   *
   * @param x images, shape (N, C, H, W) or (N, D)
   * @return the mean of p(x | z = mu), shape (N, C, H, W)
   */
  public Tensor reconstruct(Tensor x) {
    return decode(encode(x).mu());
  }

  /**
   * Samples from the model: z ~ N(0, I), then the mean of p(x|z) (the usual way of showing VAE
   * samples; drawing pixels from p(x|z) would add independent noise).
   *
   * @param n number of images, &gt;= 1
   * @param rng draws z
   * @return images, shape (n, C, H, W)
   */
  public Tensor sample(int n, Rng rng) {
    Nets.requireAtLeast(NAME, "number of samples", n, 1);
    return decode(rng.randn(config.dtype(), n, config.latent()));
  }

  /**
   * The ELBO of each example with the analytic KL and one sample z = mu + sigma * eps: -(-log
   * p(x|z) + KL). No gradients.
   *
   * @param x images, shape (N, C, H, W) or (N, D)
   * @param eps noise, shape (N, d)
   * @return ELBO per example in nats, shape (N,), float64
   */
  public Tensor elbo(Tensor x, Tensor eps) {
    Tensor flat = flatten("elbo", x);
    checkEps("elbo", flat, eps);
    Encoding q = encode(flat);
    Tensor z = Reparameterize.reparameterizeForward(q.mu(), q.logvar(), eps).out();
    Tensor rec = negLogLikelihood(layers.decoder.forward(z), flat).out().to(DType.FLOAT64);
    Tensor kl = GaussianKl.gaussianKlForward(q.mu(), q.logvar()).out().to(DType.FLOAT64);
    return rec.add(kl).neg();
  }

  /**
   * The log importance weights log w = log p(x|z) + log p(z) - log q(z|x) at z = mu + sigma * eps,
   * whose mean over eps is the ELBO (Burda et al. 2016, eq. 7 with k = 1). With (z - mu) / sigma =
   * eps, log p(z) - log q(z|x) = -1/2 sum_j (z_j^2 - eps_j^2 - logvar_j): the 2 pi terms cancel.
   *
   * @param x images, shape (N, C, H, W) or (N, D)
   * @param eps noise, shape (N, d)
   * @return log w per example, shape (N,), float64
   */
  public Tensor logImportanceWeights(Tensor x, Tensor eps) {
    Tensor flat = flatten("logImportanceWeights", x);
    checkEps("logImportanceWeights", flat, eps);
    return logWeights(flat, encode(flat), eps);
  }

  private double[] logWeightsArray(Tensor flat, Encoding q, Tensor eps) {
    Tensor z = Reparameterize.reparameterizeForward(q.mu(), q.logvar(), eps).out();
    double[] rec = negLogLikelihood(layers.decoder.forward(z), flat).out().toDoubleArray();
    double[] zs = z.toDoubleArray();
    double[] es = eps.toDoubleArray();
    double[] lv = q.logvar().toDoubleArray();
    int n = flat.shape(0);
    int d = config.latent();
    double[] w = new double[n];
    for (int i = 0; i < n; i++) {
      double s = 0;
      for (int j = 0; j < d; j++) {
        int k = i * d + j;
        s += zs[k] * zs[k] - es[k] * es[k] - lv[k];
      }
      w[i] = -rec[i] - 0.5 * s;
    }
    return w;
  }

  private Tensor logWeights(Tensor flat, Encoding q, Tensor eps) {
    return Tensor.of(logWeightsArray(flat, q, eps), flat.shape(0));
  }

  /**
   * The importance-sampled estimate of log p(x) with K samples (Burda et al. 2016, eq. 8):
   * logsumexp_k log w_k - log K, a lower bound on log p(x) that tightens as K grows and equals
   * {@link #logImportanceWeights} for K = 1. The logsumexp subtracts the largest log weight first,
   * so weights of -1000 nats do not underflow to log 0.
   *
   * @param x images, shape (N, C, H, W) or (N, D)
   * @param k number of samples K, &gt;= 1
   * @param rng draws eps_1 .. eps_K, each (N, d), in that order
   * @return the estimate per example in nats, shape (N,), float64 (the NLL is its negation)
   * @throws IllegalArgumentException when K &lt; 1 or x does not fit
   */
  public Tensor importanceSampledLogLikelihood(Tensor x, int k, Rng rng) {
    if (k < 1) {
      throw new IllegalArgumentException(
          NAME + ".importanceSampledLogLikelihood: K must be >= 1, got " + k);
    }
    Objects.requireNonNull(rng, "rng");
    Tensor flat = flatten("importanceSampledLogLikelihood", x);
    int n = flat.shape(0);
    Encoding q = encode(flat);
    double[][] lw = new double[k][];
    for (int s = 0; s < k; s++) {
      lw[s] = logWeightsArray(flat, q, rng.randn(config.dtype(), n, config.latent()));
    }
    double[] out = new double[n];
    for (int i = 0; i < n; i++) {
      double max = Double.NEGATIVE_INFINITY;
      for (int s = 0; s < k; s++) {
        max = Math.max(max, lw[s][i]);
      }
      double sum = 0;
      for (int s = 0; s < k; s++) {
        sum += Math.exp(lw[s][i] - max);
      }
      out[i] = max + Math.log(sum) - Math.log(k);
    }
    return Tensor.of(out, n);
  }

  // ---------------------------------------------------------------- helpers

  private Forward<Likelihoods.Cache> negLogLikelihood(Tensor out, Tensor x) {
    return config.likelihood() == Likelihood.BERNOULLI
        ? Likelihoods.bernoulliNllForward(out, x)
        : Likelihoods.gaussianNllForward(out, x, config.sigma());
  }

  private Tensor nllBackward(Tensor dout, Likelihoods.Cache cache) {
    return config.likelihood() == Likelihood.BERNOULLI
        ? Likelihoods.bernoulliNllBackward(dout, cache)
        : Likelihoods.gaussianNllBackward(dout, cache);
  }

  /** x (N, C, H, W) or (N, D) as (N, D), checked against the configuration and its dtype. */
  private Tensor flatten(String op, Tensor x) {
    Objects.requireNonNull(x, NAME + "." + op + ": x is null");
    int d = config.pixels();
    int[] s = config.imageShape();
    boolean image = x.ndim() == 4 && x.shape(1) == s[0] && x.shape(2) == s[1] && x.shape(3) == s[2];
    boolean flat = x.ndim() == 2 && x.shape(1) == d;
    if (!(image || flat) || x.shape(0) < 1) {
      throw new IllegalArgumentException(
          NAME
              + "."
              + op
              + ": expected x (N, "
              + s[0]
              + ", "
              + s[1]
              + ", "
              + s[2]
              + ") or (N, "
              + d
              + ") with N >= 1, got "
              + x.shapeString());
    }
    if (x.dtype() != config.dtype()) {
      throw new IllegalArgumentException(
          NAME
              + "."
              + op
              + ": x is "
              + x.dtype().numpyName()
              + " but the model is "
              + config.dtype().numpyName());
    }
    return x.contiguous().reshape(x.shape(0), d);
  }

  private void checkEps(String op, Tensor flat, Tensor eps) {
    Objects.requireNonNull(eps, NAME + "." + op + ": eps is null");
    if (eps.ndim() != 2 || eps.shape(0) != flat.shape(0) || eps.shape(1) != config.latent()) {
      throw new IllegalArgumentException(
          NAME
              + "."
              + op
              + ": expected eps ("
              + flat.shape(0)
              + ", "
              + config.latent()
              + ") for x with N = "
              + flat.shape(0)
              + ", got "
              + eps.shapeString());
    }
  }

  private static double mean(Tensor t) {
    double s = 0;
    for (int i = 0; i < t.size(); i++) {
      s += t.getFlat(i);
    }
    return s / t.size();
  }
}
