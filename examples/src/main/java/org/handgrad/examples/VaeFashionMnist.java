package org.handgrad.examples;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import org.handgrad.data.Dataset;
import org.handgrad.data.Mnist;
import org.handgrad.io.Png;
import org.handgrad.models.vae.Vae;
import org.handgrad.models.vae.VaeTrainer;
import org.handgrad.nn.Visualize;
import org.handgrad.tensor.Rng;
import org.handgrad.tensor.Tensor;

/**
 * Trains the VAE (hidden 400, latent 20, Bernoulli decoder) on Fashion-MNIST in [0, 1] with Adam
 * (lr 1e-3, batch 128) for a fixed number of epochs, then reports the test ELBO (one noise draw per
 * image) and the importance-sampled NLL (Burda et al. 2016) in nats, the numbers {@code
 * scripts/bench/vae_torch.py} prints for its PyTorch twin; writes a checkpoint and a grid of
 * samples.
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -cp core.jar:examples.jar
 * org.handgrad.examples.VaeFashionMnist DATA_DIR [epochs [K [out_dir]]]}.
 */
public final class VaeFashionMnist {
  private VaeFashionMnist() {}

  /**
   * Trains and evaluates.
   *
   * @param args data folder (IDX files, .gz or not), epochs (default 10), K (default 100), output
   *     folder (default the working folder)
   */
  public static void main(String[] args) throws IOException {
    Path dataDir = Path.of(args.length > 0 ? args[0] : "/usr/share/datasets/fashion-mnist");
    int epochs = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    int k = args.length > 2 ? Integer.parseInt(args[2]) : 100;
    Path out = Path.of(args.length > 3 ? args[3] : ".");
    Dataset data = Mnist.loadFashion(dataDir);
    Tensor train = data.train().x();
    Tensor test = data.test().x();
    Vae vae = new Vae(Vae.Config.fashionMnist());
    VaeTrainer trainer = new VaeTrainer(vae, VaeTrainer.Options.defaults());
    long t0 = System.nanoTime();
    for (int e = 0; e < epochs; e++) {
      double loss = trainer.epoch(train, null);
      System.out.printf(
          Locale.ROOT,
          "epoch %d  train -ELBO %.3f  (%.1f s)%n",
          e + 1,
          loss,
          (System.nanoTime() - t0) / 1e9);
    }
    double trainSeconds = (System.nanoTime() - t0) / 1e9;
    trainer.save(out.resolve("vae_fashion.safetensors"));
    long t1 = System.nanoTime();
    double elbo = VaeTrainer.meanElbo(vae, test, 500, new Rng(1));
    double ll = VaeTrainer.meanLogLikelihood(vae, test, k, 500, new Rng(2));
    System.out.printf(
        Locale.ROOT,
        "steps %d  train %.1f s  test ELBO %.3f nats  test NLL (IWAE K=%d) %.3f nats  eval %.1f s%n",
        trainer.step(),
        trainSeconds,
        elbo,
        k,
        -ll,
        (System.nanoTime() - t1) / 1e9);
    Tensor samples = vae.sample(64, new Rng(3));
    Png.write(
        out.resolve("vae_samples.png"),
        Visualize.visualizeGrid(samples, Visualize.Layout.NCHW, 255, 1));
  }
}
