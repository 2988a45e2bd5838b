package org.handgrad.data.caption;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.handgrad.data.SyntheticShapes;
import org.handgrad.data.caption.Scene.Colour;
import org.handgrad.data.caption.Scene.Item;
import org.handgrad.data.caption.Scene.Place;
import org.handgrad.data.caption.Scene.Relation;
import org.handgrad.data.caption.Scene.Shape;
import org.handgrad.data.caption.Scene.Size;
import org.handgrad.tensor.Rng;
import org.handgrad.tensor.Tensor;

/**
 * A procedurally generated image-captioning dataset: RGB images of one or two coloured shapes,
 * captioned by the {@link Scene} grammar ("a small red circle above a large blue square", "a large
 * green triangle on the left").
 *
 * <p>Every word but "a" and the relation/place function words depends on the pixels: 6 colours, 4
 * shapes, 2 sizes, 5 places and 4 relations, drawn uniformly and independently (the two objects of
 * a pair differ in colour). A model that ignores the image can only emit the marginal; see {@code
 * docs/conventions.md} ("captions") for measured baselines.
 *
 * <p>Images: (N, 3, S, S) float32 in [0, 1]. A dark two-colour gradient background (channels at
 * most 0.32); each object filled with its colour jittered by +-0.06 per channel, rotated by up to
 * +-10 degrees, edges anti-aliased by 4x4 supersampling; uniform pixel noise of amplitude 0.01 ..
 * 0.04. Geometry (S = image side): small radius 0.09 .. 0.11 S, large 0.16 .. 0.19 S; objects lie
 * fully inside the image and never touch. A single object's centre lies in the named region
 * (left/right: outer third horizontally, within S/8 of the middle vertically; top/bottom likewise;
 * middle: within S/10 of the centre on both axes). A pair's centres are separated along the
 * relation's axis by at least max(1.1 (r1 + r2) + 1.5 px, S/4) and by at most 0.12 S across it, so
 * "left of" never reads as "above".
 *
 * <p>Splits: "train" and "test" come from different seed streams (held-out images); with {@code
 * holdOut} the colour-shape combinations of {@link #heldOut} (one shape per colour, 6 of 24) never
 * occur in "train" or "test", and a third split "novel" shows, in every image, at least one
 * held-out combination: a test of compositional generalisation (each held-out colour and shape is
 * seen in training, only not together).
 *
 * <p>Captions are stored in CS231n's COCO layout ({@link CaptionSplit}): every reference of an
 * image is one caption row (one for a single object, two for a pair), encoded with {@link #vocab()}
 * to length {@link #CAPTION_LENGTH}.
 *
 * <p>Determinism: image i of a split draws its layout and its rendering from generators seeded by a
 * hash of (seed, split, i), so any subset is reproducible and the loop parallelizes unchanged.
 */
public final class SyntheticCaptions {
  private SyntheticCaptions() {}

  /**
   * Encoded caption length T: the longest caption (12 words) plus {@code <START>}, {@code <END>}.
   */
  public static final int CAPTION_LENGTH = 14;

  /** Shapes reach at most this many radii from their centre, rotation included (tested). */
  static final double EXTENT = 1.1;

  /** The splits. */
  public enum SplitKind {
    /** Training images. */
    TRAIN,
    /** Held-out images of the training distribution. */
    TEST,
    /** Images showing held-out colour-shape combinations (only with {@code holdOut}). */
    NOVEL;

    /** The split's name in a {@link CaptionDataset}: "train", "test", "novel". */
    public String key() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /**
   * What to generate.
   *
   * @param numTrain training images, &gt;= 0
   * @param numTest test images, &gt;= 0
   * @param numNovel images with held-out combinations, &gt;= 0 (must be 0 without holdOut)
   * @param size image side S, 24..256
   * @param holdOut keep the {@link #heldOut} combinations out of train and test
   * @param seed the seed everything derives from
   */
  public record Config(
      int numTrain, int numTest, int numNovel, int size, boolean holdOut, long seed) {
    /** Validates the ranges. */
    public Config {
      if (numTrain < 0 || numTest < 0 || numNovel < 0) {
        throw new IllegalArgumentException(
            "SyntheticCaptions: image counts must be >= 0, got "
                + numTrain
                + ", "
                + numTest
                + ", "
                + numNovel);
      }
      if (size < 24 || size > 256) {
        throw new IllegalArgumentException(
            "SyntheticCaptions: size must be in 24..256, got " + size);
      }
      if (numNovel > 0 && !holdOut) {
        throw new IllegalArgumentException(
            "SyntheticCaptions: a novel split needs holdOut (nothing is held out otherwise)");
      }
    }

    /** 10000 training, 1000 test and 1000 novel images of 3x32x32, with held-out combinations. */
    public static Config defaults(long seed) {
      return new Config(10_000, 1_000, 1_000, 32, true, seed);
    }

    /** The number of images of a split. */
    public int count(SplitKind kind) {
      return switch (kind) {
        case TRAIN -> numTrain;
        case TEST -> numTest;
        case NOVEL -> numNovel;
      };
    }
  }

  /**
   * An object placed in the image.
   *
   * @param item its attributes
   * @param cx centre x in pixels (0 = left edge)
   * @param cy centre y in pixels (0 = top edge)
   * @param radius size in pixels
   * @param angle rotation in radians, within +-10 degrees
   */
  public record Placed(Item item, double cx, double cy, double radius, double angle) {}

  /**
   * An image's content before rendering.
   *
   * @param scene what the captions say
   * @param objects the objects in the order the first caption names them
   * @param renderSeed seeds the background, colour jitter and noise
   */
  public record Layout(Scene scene, List<Placed> objects, long renderSeed) {
    /** Copies the object list. */
    public Layout {
      objects = List.copyOf(objects);
    }
  }

  /** The caption vocabulary: the special tokens, then {@link Scene#words()}. */
  public static Vocab vocab() {
    return Vocab.withSpecials(Scene.words());
  }

  /**
   * Whether a colour-shape combination is held out with {@code holdOut}: one shape per colour
   * (shape index = colour index + 2 mod 4), so red triangle, green diamond, blue circle, yellow
   * square, purple triangle, white diamond.
   */
  public static boolean heldOut(Colour colour, Shape shape) {
    return shape.ordinal() == (colour.ordinal() + 2) % Shape.values().length;
  }

  /** Generates every split with images: "train", "test" and (when numNovel &gt; 0) "novel". */
  public static CaptionDataset generate(Config config) {
    Map<String, CaptionSplit> splits = new LinkedHashMap<>();
    for (SplitKind kind : SplitKind.values()) {
      if (kind != SplitKind.NOVEL || config.numNovel() > 0) {
        splits.put(kind.key(), generateSplit(config, kind));
      }
    }
    return new CaptionDataset("synthetic-captions", vocab(), splits);
  }

  /**
   * Generates one split.
   *
   * @return images (N, 3, S, S) float32 as the features, all references as caption rows (M, T) with
   *     T = {@link #CAPTION_LENGTH}, no URLs
   */
  public static CaptionSplit generateSplit(Config config, SplitKind kind) {
    return render(layouts(config, kind), config.size());
  }

  /**
   * Renders layouts, in order, with their captions.
   *
   * @param layouts the images' contents
   * @param s image side S
   * @return images (N, 3, S, S) float32 as the features, all references as caption rows (M, T) with
   *     T = {@link #CAPTION_LENGTH}, no URLs
   */
  public static CaptionSplit render(List<Layout> layouts, int s) {
    int n = layouts.size();
    int per = 3 * s * s;
    float[] x = new float[n * per];
    List<String> captions = new ArrayList<>();
    List<Integer> owners = new ArrayList<>();
    for (int i = 0; i < n; i++) { // independent images: a parallel-for can replace this loop
      Layout l = layouts.get(i);
      render(l, s, x, i * per);
      for (String c : l.scene().captions()) {
        captions.add(c);
        owners.add(i);
      }
    }
    int[] imageIdxs = owners.stream().mapToInt(Integer::intValue).toArray();
    Tensor encoded = vocab().encodeAll(captions, CAPTION_LENGTH);
    return new CaptionSplit(encoded, imageIdxs, Tensor.of(x, n, 3, s, s), List.of());
  }

  /** The layouts of a split, without rendering (cheap). */
  public static List<Layout> layouts(Config config, SplitKind kind) {
    if (kind == SplitKind.NOVEL && !config.holdOut()) {
      throw new IllegalArgumentException("SyntheticCaptions: the novel split needs holdOut");
    }
    int n = config.count(kind);
    List<Layout> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(layout(config, kind, i));
    }
    return out;
  }

  /** The layout of image {@code index} of a split. */
  public static Layout layout(Config config, SplitKind kind, int index) {
    long h = mix(mix(mix(config.seed()) + kind.ordinal() * 0x9E3779B97F4A7C15L) + index);
    Rng r = new Rng(h);
    double s = config.size();
    List<Placed> objects = new ArrayList<>(2);
    Scene scene;
    if (r.nextBoolean(0.5)) {
      Item item = kind == SplitKind.NOVEL ? drawHeldOut(r) : drawItem(r, config.holdOut());
      Place place = Place.values()[r.nextInt(0, Place.values().length)];
      double rad = radius(r, item.size(), s);
      double[] c = placeSingle(r, place, rad, s);
      objects.add(new Placed(item, c[0], c[1], rad, angle(r)));
      scene = new Scene.Single(item, place);
    } else {
      Item a;
      Item b;
      if (kind == SplitKind.NOVEL) {
        // At least one held-out combination, named first or second with equal chance.
        a = drawHeldOut(r);
        b = drawOtherColour(r, a.colour(), false);
        if (r.nextBoolean(0.5)) {
          Item t = a;
          a = b;
          b = t;
        }
      } else {
        a = drawItem(r, config.holdOut());
        b = drawOtherColour(r, a.colour(), config.holdOut());
      }
      Relation rel = Relation.values()[r.nextInt(0, Relation.values().length)];
      double ra = radius(r, a.size(), s);
      double rb = radius(r, b.size(), s);
      double[] c = placePair(r, rel, ra, rb, s);
      objects.add(new Placed(a, c[0], c[1], ra, angle(r)));
      objects.add(new Placed(b, c[2], c[3], rb, angle(r)));
      scene = new Scene.Pair(a, rel, b);
    }
    return new Layout(scene, objects, mix(h ^ 0x632BE59BD9B4E019L));
  }

  /**
   * The shape twin of a layout, a hard negative for contrastive training: the same scene,
   * placement, sizes, colours and rendering (background, jitter and noise from the same render
   * seed), with the shape of one object changed. The object (either of a pair) and its new shape
   * are drawn from a generator seeded by the layout; with {@code holdOut} the new shape never makes
   * a held-out combination. Deterministic: the same layout always gives the same twin.
   *
   * @param layout a layout of {@link #layout}
   * @param holdOut avoid the combinations of {@link #heldOut}
   * @return the twin, whose captions differ from the layout's in one shape word
   */
  public static Layout shapeTwin(Layout layout, boolean holdOut) {
    Rng r = new Rng(mix(layout.renderSeed() ^ 0x7A1E5EEDL));
    List<Placed> objects = new ArrayList<>(layout.objects());
    int which = objects.size() == 1 ? 0 : r.nextInt(0, objects.size());
    Placed p = objects.get(which);
    Item old = p.item();
    Shape shape;
    do {
      shape = Shape.values()[r.nextInt(0, Shape.values().length)];
    } while (shape == old.shape() || (holdOut && heldOut(old.colour(), shape)));
    Item item = new Item(old.colour(), shape, old.size());
    objects.set(which, new Placed(item, p.cx(), p.cy(), p.radius(), p.angle()));
    Scene scene;
    if (layout.scene() instanceof Scene.Single single) {
      scene = new Scene.Single(item, single.place());
    } else {
      Scene.Pair pair = (Scene.Pair) layout.scene(); // objects are in the order the caption names
      scene =
          which == 0
              ? new Scene.Pair(item, pair.relation(), pair.second())
              : new Scene.Pair(pair.first(), pair.relation(), item);
    }
    return new Layout(scene, objects, layout.renderSeed());
  }

  /** SplitMix64's finalizer (Steele, Lea, Flood 2014): a bijective 64-bit mix. */
  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }

  // ---------------------------------------------------------------- attributes

  private static Item drawItem(Rng r, boolean holdOut) {
    while (true) {
      Item it = randomItem(r);
      if (!holdOut || !heldOut(it.colour(), it.shape())) {
        return it;
      }
    }
  }

  private static Item drawHeldOut(Rng r) {
    while (true) {
      Item it = randomItem(r);
      if (heldOut(it.colour(), it.shape())) {
        return it;
      }
    }
  }

  private static Item drawOtherColour(Rng r, Colour not, boolean holdOut) {
    while (true) {
      Item it = drawItem(r, holdOut);
      if (it.colour() != not) {
        return it;
      }
    }
  }

  private static Item randomItem(Rng r) {
    Colour c = Colour.values()[r.nextInt(0, Colour.values().length)];
    Shape sh = Shape.values()[r.nextInt(0, Shape.values().length)];
    Size sz = Size.values()[r.nextInt(0, Size.values().length)];
    return new Item(c, sh, sz);
  }

  // ---------------------------------------------------------------- geometry

  private static double radius(Rng r, Size size, double s) {
    return size == Size.SMALL
        ? s * (0.09 + 0.02 * r.nextDouble())
        : s * (0.16 + 0.03 * r.nextDouble());
  }

  private static double angle(Rng r) {
    return Math.toRadians(-10 + 20 * r.nextDouble());
  }

  /** Lowest centre coordinate that keeps an object of this radius inside the image. */
  private static double lo(double radius) {
    return EXTENT * radius + 1;
  }

  private static double uniform(Rng r, double a, double b) {
    assert a <= b : a + " > " + b;
    return a + (b - a) * r.nextDouble();
  }

  /** {cx, cy} in the named region. */
  private static double[] placeSingle(Rng r, Place place, double rad, double s) {
    double lo = lo(rad);
    double hi = s - lo;
    double bandLo = Math.max(lo, 0.5 * s - s / 8);
    double bandHi = Math.min(hi, 0.5 * s + s / 8);
    double third = s / 3;
    return switch (place) {
      case LEFT -> new double[] {uniform(r, lo, third), uniform(r, bandLo, bandHi)};
      case RIGHT -> new double[] {uniform(r, s - third, hi), uniform(r, bandLo, bandHi)};
      case TOP -> new double[] {uniform(r, bandLo, bandHi), uniform(r, lo, third)};
      case BOTTOM -> new double[] {uniform(r, bandLo, bandHi), uniform(r, s - third, hi)};
      case MIDDLE ->
          new double[] {
            uniform(r, 0.5 * s - s / 10, 0.5 * s + s / 10),
            uniform(r, 0.5 * s - s / 10, 0.5 * s + s / 10)
          };
    };
  }

  /**
   * {ax, ay, bx, by} with a {@code rel} b. Along the relation's axis the smaller coordinate p is
   * drawn uniformly over the values that leave room for the separation, then the larger one
   * uniformly over what remains; across it, the second object stays within 0.12 S of the first.
   */
  private static double[] placePair(Rng r, Relation rel, double ra, double rb, double s) {
    double sep = Math.max(EXTENT * (ra + rb) + 1.5, s / 4);
    // "first < second" along the axis for left of / above (image y grows downwards).
    boolean firstSmaller = rel == Relation.LEFT_OF || rel == Relation.ABOVE;
    double rp = firstSmaller ? ra : rb;
    double rq = firstSmaller ? rb : ra;
    double p = uniform(r, lo(rp), Math.min(s - lo(rp), s - lo(rq) - sep));
    double q = uniform(r, Math.max(lo(rq), p + sep), s - lo(rq));
    double a1 = firstSmaller ? p : q;
    double b1 = firstSmaller ? q : p;
    double a2 = uniform(r, lo(ra), s - lo(ra));
    double b2 = uniform(r, Math.max(lo(rb), a2 - 0.12 * s), Math.min(s - lo(rb), a2 + 0.12 * s));
    return rel.horizontal() ? new double[] {a1, a2, b1, b2} : new double[] {a2, a1, b2, b1};
  }

  // ---------------------------------------------------------------- rendering

  /**
   * Renders a layout into {@code out[off ..]} in (3, S, S) order.
   *
   * @param size image side S
   */
  public static void render(Layout layout, int size, float[] out, int off) {
    Rng r = new Rng(layout.renderSeed());
    int plane = size * size;
    // Background: a dark gradient, every channel at most 0.32, far from each object colour.
    double[] bg0 = new double[3];
    double[] bg1 = new double[3];
    for (int k = 0; k < 3; k++) {
      bg0[k] = 0.02 + 0.26 * r.nextDouble();
      bg1[k] = Math.min(0.32, Math.max(0, bg0[k] + 0.16 * (r.nextDouble() - 0.5)));
    }
    double ga = 2 * Math.PI * r.nextDouble();
    double gx = Math.cos(ga) / size;
    double gy = Math.sin(ga) / size;
    double[] img = new double[3 * plane];
    for (int py = 0; py < size; py++) {
      for (int px = 0; px < size; px++) {
        double t = 0.5 + (px - 0.5 * size) * gx + (py - 0.5 * size) * gy;
        t = Math.min(1, Math.max(0, t));
        for (int k = 0; k < 3; k++) {
          img[k * plane + py * size + px] = bg0[k] + (bg1[k] - bg0[k]) * t;
        }
      }
    }
    for (Placed o : layout.objects()) {
      double[] fg = o.item().colour().rgb();
      for (int k = 0; k < 3; k++) {
        fg[k] = Math.min(1, Math.max(0, fg[k] + 0.12 * (r.nextDouble() - 0.5)));
      }
      drawObject(o, fg, size, img);
    }
    double amp = 0.01 + 0.03 * r.nextDouble();
    for (int i = 0; i < 3 * plane; i++) {
      double v = img[i] + amp * (2 * r.nextDouble() - 1);
      out[off + i] = (float) Math.min(1, Math.max(0, v));
    }
  }

  /** Blends one object over {@code img} (3, S, S) by its 4x4-supersampled coverage. */
  private static void drawObject(Placed o, double[] fg, int size, double[] img) {
    int plane = size * size;
    double cos = Math.cos(o.angle());
    double sin = Math.sin(o.angle());
    double inv = 1.0 / o.radius();
    double reach = EXTENT * o.radius() + 1;
    int x0 = Math.max(0, (int) Math.floor(o.cx() - reach));
    int x1 = Math.min(size - 1, (int) Math.ceil(o.cx() + reach));
    int y0 = Math.max(0, (int) Math.floor(o.cy() - reach));
    int y1 = Math.min(size - 1, (int) Math.ceil(o.cy() + reach));
    int shape = o.item().shape().shapesClass();
    for (int py = y0; py <= y1; py++) {
      for (int px = x0; px <= x1; px++) {
        int hits = 0;
        for (int sy = 0; sy < 4; sy++) {
          double dy = py + (sy + 0.5) / 4 - o.cy();
          for (int sx = 0; sx < 4; sx++) {
            double dx = px + (sx + 0.5) / 4 - o.cx();
            // Into the shape's unit frame: rotate by -angle, scale by 1/radius.
            double u = (cos * dx + sin * dy) * inv;
            double v = (-sin * dx + cos * dy) * inv;
            if (SyntheticShapes.inside(shape, u, v)) {
              hits++;
            }
          }
        }
        if (hits > 0) {
          double cover = hits / 16.0;
          for (int k = 0; k < 3; k++) {
            int i = k * plane + py * size + px;
            img[i] += (fg[k] - img[i]) * cover;
          }
        }
      }
    }
  }
}
