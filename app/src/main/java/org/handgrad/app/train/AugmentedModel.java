package org.handgrad.app.train;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.handgrad.data.Augment;
import org.handgrad.models.LabelSmoothing;
import org.handgrad.models.SeedStream;
import org.handgrad.nn.Model;
import org.handgrad.nn.Parameter;
import org.handgrad.tensor.Tensor;

/**
 * A model whose training batches are augmented on the fly: each {@code loss(x, y)} call sees a
 * fresh random crop (zero padding {@code pad}, then an H x W window), optionally a random
 * horizontal flip of every image and random erasing ({@link Augment#randomErasing}), and is trained
 * with smoothed labels when the recipe says so ({@link LabelSmoothing}); test-mode {@code loss(x)}
 * sees the images unchanged and no recipe at all.
 *
 * <p>Wrapping the model keeps the Solver unaware of augmentation: its batches pass through here.
 * The random stream is a buffer ({@value #STATE}, int32, a {@link SeedStream}), so a checkpoint
 * saves it and a resumed run draws the same crops and flips as an uninterrupted one.
 *
 * <p>The padding is zero in the preprocessed space, i.e. the training mean (or the channel mean)
 * rather than black as in torchvision's {@code RandomCrop(padding=p)} on raw pixels.
 */
public final class AugmentedModel implements Model {
  /** Name of the random-stream buffer. */
  public static final String STATE = "augment.rng_state";

  /**
   * What is applied, in this order: crop, flip, erasing; then the loss with smoothed labels.
   *
   * @param cropPad zero padding before the random crop, &gt;= 0 (0: no crop)
   * @param hflip flip each image left-right with probability 1/2
   * @param erasing probability of random erasing per image (torchvision's defaults otherwise), in
   *     [0, 1] (0: none)
   * @param labelSmoothing label smoothing eps, in [0, 1] (0: hard targets)
   */
  public record Recipe(int cropPad, boolean hflip, double erasing, double labelSmoothing) {
    /** Validates every field. */
    public Recipe {
      if (cropPad < 0) {
        throw new IllegalArgumentException("augment: crop padding must be >= 0, got " + cropPad);
      }
      if (!(erasing >= 0 && erasing <= 1)) {
        throw new IllegalArgumentException(
            "augment: random erasing probability must be in [0, 1], got " + erasing);
      }
      if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) {
        throw new IllegalArgumentException(
            "augment: label smoothing must be in [0, 1], got " + labelSmoothing);
      }
    }

    /** Crops and flips only. */
    public Recipe(int cropPad, boolean hflip) {
      this(cropPad, hflip, 0, 0);
    }

    /**
     * The usual recipe for a dataset: pad 4 for 32x32 images (He et al. 2016), pad 2 for 28x28
     * ones; flips except for digits, which mirroring turns into other symbols.
     */
    public static Recipe forDataset(String dataset, int[] imageShape) {
      int pad = imageShape[1] >= 32 ? 4 : Math.max(1, imageShape[1] / 14);
      return new Recipe(pad, !dataset.equals("mnist"));
    }

    /** As a JSON-ready map. */
    public Map<String, Object> toMap() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("crop_pad", cropPad);
      m.put("hflip", hflip);
      m.put("random_erasing", erasing);
      m.put("label_smoothing", labelSmoothing);
      return m;
    }

    /** Reads a map written by {@link #toMap()} (checkpoints from before erasing: none). */
    public static Recipe fromMap(Map<?, ?> m) {
      return new Recipe(
          Specs.integer(m, "crop_pad"),
          (Boolean) Specs.required(m, "hflip"),
          m.get("random_erasing") == null ? 0 : ((Number) m.get("random_erasing")).doubleValue(),
          m.get("label_smoothing") == null ? 0 : ((Number) m.get("label_smoothing")).doubleValue());
    }

    @Override
    public String toString() {
      List<String> parts = new ArrayList<>();
      if (cropPad > 0) {
        parts.add("random crop (pad " + cropPad + ")");
      }
      if (hflip) {
        parts.add("horizontal flip");
      }
      if (erasing > 0) {
        parts.add("random erasing (p " + erasing + ")");
      }
      if (labelSmoothing > 0) {
        parts.add("label smoothing " + labelSmoothing);
      }
      return parts.isEmpty() ? "none" : String.join(" + ", parts);
    }
  }

  private final Model inner;
  private final Recipe recipe;
  private final SeedStream seeds;

  /**
   * @param inner the model to train
   * @param recipe the augmentation
   * @param seed seeds the stream of crops and flips
   */
  public AugmentedModel(Model inner, Recipe recipe, long seed) {
    if (recipe.labelSmoothing() > 0 && !LabelSmoothing.supports(inner)) {
      throw new IllegalArgumentException(
          "--label-smoothing: this model computes its own loss; label smoothing needs a model"
              + " built on the tape (vit, resnet-small, resnet18, speedrun)");
    }
    this.inner = inner;
    this.recipe = recipe;
    this.seeds = new SeedStream(seed);
  }

  /** The wrapped model. */
  public Model inner() {
    return inner;
  }

  @Override
  public List<Parameter> parameters() {
    return inner.parameters();
  }

  @Override
  public Map<String, Tensor> buffers() {
    Map<String, Tensor> m = new LinkedHashMap<>(inner.buffers());
    m.put(STATE, seeds.state());
    return m;
  }

  @Override
  public Tensor loss(Tensor x) {
    return inner.loss(x);
  }

  /**
   * Augments the batch, then trains on it.
   *
   * @param x images, shape (N, C, H, W)
   * @param y labels, length N
   */
  @Override
  public double loss(Tensor x, int[] y) {
    // One seed per batch from the checkpointed stream; the crop offsets then the flips are drawn
    // from it in Augment's documented order.
    SplittableRandom rng = new SplittableRandom(seeds.next());
    Tensor a = recipe.cropPad() > 0 ? Augment.randomCrop(x, recipe.cropPad(), rng) : x;
    if (recipe.hflip()) {
      a = Augment.randomHFlip(a, rng);
    }
    if (recipe.erasing() > 0) {
      a = Augment.randomErasing(a, recipe.erasing(), rng);
    }
    return recipe.labelSmoothing() > 0
        ? LabelSmoothing.loss(inner, a, y, recipe.labelSmoothing())
        : inner.loss(a, y);
  }
}
