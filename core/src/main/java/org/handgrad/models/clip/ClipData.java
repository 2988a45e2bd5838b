package org.handgrad.models.clip;

import java.util.ArrayList;
import java.util.List;
import org.handgrad.data.Split;
import org.handgrad.data.caption.CaptionSplit;
import org.handgrad.data.caption.Scene;
import org.handgrad.data.caption.SyntheticCaptions;
import org.handgrad.data.caption.Vocab;
import org.handgrad.tensor.Tensor;

/**
 * The paired data CLIP trains on here, all available offline.
 *
 * <p><b>Shape scenes</b> ({@link SyntheticCaptions}): 3x32x32 images of one or two coloured shapes
 * with their captions ("a small red circle above a large blue square"); a pair scene has two
 * captions (the stated and the mirrored relation). With {@code holdOut}, six colour-shape
 * combinations (one shape per colour: red triangle, green diamond, blue circle, yellow square,
 * purple triangle, white diamond; {@link SyntheticCaptions#heldOut}) never occur in training; the
 * "novel" split shows them. Zero-shot classification is over the 24 colour x shape combinations,
 * with prompts ensembled over the sizes and places of the caption grammar ({@link
 * #SHAPE_TEMPLATES}).
 *
 * <p><b>Fashion-MNIST</b>: each image paired with a templated description of its class, one of
 * {@link #FASHION_TEMPLATES} drawn per step ("a photo of a {}" with {} the lower-cased class name,
 * "t-shirt/top", "ankle boot", ...). Many images of a batch share a class, so the contrastive loss
 * has identical captions as negatives and cannot reach 0: its floor is the log of the number of
 * same-class images per class in a batch, and zero-shot classification is what it is for.
 */
public final class ClipData {
  private ClipData() {}

  /** Templates of the Fashion-MNIST descriptions. */
  public static final List<String> FASHION_TEMPLATES =
      List.of(
          "a photo of a {}",
          "a picture of a {}",
          "an image of a {}",
          "a photo of the {}",
          "a small photo of a {}",
          "a grey photo of a {}",
          "a low resolution photo of a {}",
          "a centred photo of a {}");

  /**
   * Zero-shot templates of the shape scenes: every size and place of the caption grammar around a
   * "{colour} {shape}" class name (10 templates, ensembled).
   */
  public static final List<String> SHAPE_TEMPLATES = shapeTemplates();

  private static List<String> shapeTemplates() {
    List<String> t = new ArrayList<>();
    for (Scene.Size s : Scene.Size.values()) {
      for (Scene.Place p : Scene.Place.values()) {
        t.add("a " + s.word() + " {} " + p.phrase());
      }
    }
    return List.copyOf(t);
  }

  /** Caption length of the Fashion-MNIST descriptions: "a low resolution photo of a ankle boot". */
  public static final int FASHION_CONTEXT = 12;

  // ---------------------------------------------------------------- shapes

  /** The 24 zero-shot classes of the shape scenes, "red circle" .. "white diamond". */
  public static List<String> shapeClasses() {
    List<String> out = new ArrayList<>();
    for (Scene.Colour c : Scene.Colour.values()) {
      for (Scene.Shape s : Scene.Shape.values()) {
        out.add(c.word() + " " + s.word());
      }
    }
    return out;
  }

  /** The class index of a colour-shape combination in {@link #shapeClasses()}. */
  public static int shapeClass(Scene.Colour colour, Scene.Shape shape) {
    return colour.ordinal() * Scene.Shape.values().length + shape.ordinal();
  }

  /**
   * The pairs of one split of the shape scenes.
   *
   * @return images (M, 3, S, S) and every caption, T = {@link SyntheticCaptions#CAPTION_LENGTH}
   */
  public static ClipPairs shapes(
      SyntheticCaptions.Config config, SyntheticCaptions.SplitKind kind) {
    return pairs(SyntheticCaptions.generateSplit(config, kind), 1);
  }

  /**
   * The pairs of one split with hard negatives: every scene followed by its {@link
   * SyntheticCaptions#shapeTwin shape twin} (the same picture with one object's shape changed, no
   * held-out combination), grouped so that a batch always holds both. Captions in a batch then
   * cannot be told apart by colour, size and place alone: the encoders must see shape.
   *
   * @return 2M images (scene 2j, its twin 2j+1) with every caption, group size 2
   */
  public static ClipPairs shapeTwins(
      SyntheticCaptions.Config config, SyntheticCaptions.SplitKind kind) {
    List<SyntheticCaptions.Layout> layouts = new ArrayList<>();
    for (SyntheticCaptions.Layout l : SyntheticCaptions.layouts(config, kind)) {
      layouts.add(l);
      layouts.add(SyntheticCaptions.shapeTwin(l, config.holdOut()));
    }
    return pairs(SyntheticCaptions.render(layouts, config.size()), 2);
  }

  private static ClipPairs pairs(CaptionSplit split, int groupSize) {
    int m = split.numImages();
    List<List<Integer>> of = new ArrayList<>();
    for (int i = 0; i < m; i++) {
      of.add(new ArrayList<>());
    }
    int[] owner = split.imageIdxs();
    for (int k = 0; k < owner.length; k++) {
      of.get(owner[k]).add(k);
    }
    int[][] caps = new int[m][];
    for (int i = 0; i < m; i++) {
      caps[i] = of.get(i).stream().mapToInt(Integer::intValue).toArray();
    }
    return new ClipPairs(split.features(), split.captions(), caps, groupSize);
  }

  /**
   * Zero-shot labels of the single-object images of a split (pair scenes show two objects and have
   * no single label).
   *
   * @return for each image its class in {@link #shapeClasses()}, or -1 for a pair scene
   */
  public static int[] shapeLabels(
      SyntheticCaptions.Config config, SyntheticCaptions.SplitKind kind) {
    List<SyntheticCaptions.Layout> layouts = SyntheticCaptions.layouts(config, kind);
    int[] y = new int[layouts.size()];
    for (int i = 0; i < y.length; i++) {
      y[i] =
          layouts.get(i).scene() instanceof Scene.Single s
              ? shapeClass(s.item().colour(), s.item().shape())
              : -1;
    }
    return y;
  }

  // ---------------------------------------------------------------- Fashion-MNIST

  /** The vocabulary of the Fashion-MNIST descriptions: every template word and class word. */
  public static Vocab fashionVocab(List<String> classNames) {
    List<String> all = new ArrayList<>();
    for (String t : FASHION_TEMPLATES) {
      for (String c : classNames) {
        all.add(Prompts.fill(t, Prompts.normalize(c)));
      }
    }
    return Vocab.build(all, 1);
  }

  /**
   * Fashion-MNIST images paired with templated descriptions of their classes.
   *
   * @param split images (M, 1, 28, 28) with labels
   * @return pairs whose captions are the (class, template) grid, class-major, T = {@link
   *     #FASHION_CONTEXT}
   */
  public static ClipPairs fashion(Split split, Vocab vocab) {
    List<String> classes = split.classNames();
    int nt = FASHION_TEMPLATES.size();
    List<String> texts = new ArrayList<>();
    for (String c : classes) {
      for (String t : FASHION_TEMPLATES) {
        texts.add(Prompts.fill(t, Prompts.normalize(c)));
      }
    }
    Tensor captions = Prompts.encode(vocab, texts, FASHION_CONTEXT);
    int[][] caps = new int[split.size()][];
    int[][] byClass = new int[classes.size()][nt];
    for (int c = 0; c < classes.size(); c++) {
      for (int t = 0; t < nt; t++) {
        byClass[c][t] = c * nt + t;
      }
    }
    for (int i = 0; i < caps.length; i++) {
      caps[i] = byClass[split.y()[i]];
    }
    return new ClipPairs(split.x(), captions, caps);
  }
}
