package org.handgrad.data;

import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.random.RandomGenerator;
import org.handgrad.tensor.Tensor;

/**
 * Mini-batch iteration over a split: one pass per {@link #epoch()}, reshuffled from the seeded
 * {@code rng} at the start of every epoch, batches of {@code batchSize} with the last partial batch
 * kept (ceil(N / batchSize) batches per epoch).
 *
 * <p>{@link #sample} is the CS231n Solver's step instead: {@code batch_size} indices drawn with
 * replacement ({@code np.random.choice(num_train, batch_size)}).
 */
public final class Batches {
  /**
   * One mini-batch.
   *
   * @param x examples, shape (B, ...) with B &lt;= batchSize, copied out of the split
   * @param y labels, length B
   * @param indices positions of the examples in the split, length B
   */
  public record Batch(Tensor x, int[] y, int[] indices) {}

  private final Split data;
  private final int batchSize;
  private final boolean shuffle;
  private final RandomGenerator rng;

  /**
   * @param data the split to iterate over
   * @param batchSize examples per batch, &gt; 0
   * @param shuffle reshuffle at the start of every epoch (otherwise keep the split's order)
   * @param rng the source of the shuffles; unused when shuffle is false
   */
  public Batches(Split data, int batchSize, boolean shuffle, RandomGenerator rng) {
    if (batchSize <= 0) {
      throw new IllegalArgumentException("Batches: batchSize must be > 0, got " + batchSize);
    }
    if (shuffle && rng == null) {
      throw new IllegalArgumentException("Batches: shuffling needs an rng");
    }
    this.data = data;
    this.batchSize = batchSize;
    this.shuffle = shuffle;
    this.rng = rng;
  }

  /** Batches per epoch: ceil(N / batchSize). */
  public int batchesPerEpoch() {
    return (data.size() + batchSize - 1) / batchSize;
  }

  /**
   * The batches of one epoch. The permutation is drawn from rng when this method is called, so
   * successive epochs see different orders and the same seed gives the same sequence of epochs.
   */
  public Iterable<Batch> epoch() {
    int[] order;
    if (shuffle) {
      order = Preprocess.permutation(data.size(), rng);
    } else {
      order = new int[data.size()];
      for (int i = 0; i < order.length; i++) {
        order[i] = i;
      }
    }
    return () -> new EpochIterator(order);
  }

  /**
   * A batch of indices drawn uniformly with replacement, as the CS231n Solver's {@code _step}.
   *
   * @return a batch of batchSize examples, shape (batchSize, ...)
   */
  public static Batch sample(Split data, int batchSize, RandomGenerator rng) {
    if (batchSize <= 0 || data.size() == 0) {
      throw new IllegalArgumentException(
          "Batches.sample: batchSize " + batchSize + " from " + data.size() + " examples");
    }
    int[] idx = new int[batchSize];
    for (int i = 0; i < batchSize; i++) {
      idx[i] = rng.nextInt(data.size());
    }
    Split s = data.take(idx);
    return new Batch(s.x(), s.y(), idx);
  }

  private final class EpochIterator implements Iterator<Batch> {
    private final int[] order;
    private int next;

    EpochIterator(int[] order) {
      this.order = order;
    }

    @Override
    public boolean hasNext() {
      return next < order.length;
    }

    @Override
    public Batch next() {
      if (!hasNext()) {
        throw new NoSuchElementException("Batches: epoch exhausted");
      }
      int end = Math.min(order.length, next + batchSize);
      int[] idx = java.util.Arrays.copyOfRange(order, next, end);
      next = end;
      Split s = data.take(idx);
      return new Batch(s.x(), s.y(), idx);
    }
  }
}
