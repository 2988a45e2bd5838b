package org.handgrad.data.caption;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What a synthetic caption says: one object at a place ("a large green triangle on the left") or
 * two objects in a spatial relation ("a small red circle above a large blue square").
 *
 * <p>The grammar, complete:
 *
 * <pre>
 * caption  = item place | item relation item
 * item     = "a" size colour shape
 * size     = "small" | "large"
 * colour   = "red" | "green" | "blue" | "yellow" | "purple" | "white"
 * shape    = "circle" | "square" | "triangle" | "diamond"
 * place    = "on the left" | "on the right" | "at the top" | "at the bottom" | "in the middle"
 * relation = "to the left of" | "to the right of" | "above" | "below"
 * </pre>
 *
 * A pair has two references, the stated order and the mirrored one ("A above B" = "B below A"); a
 * single object has one. The two objects of a pair always differ in colour, so every caption names
 * each object unambiguously.
 */
public sealed interface Scene permits Scene.Single, Scene.Pair {

  /** Object colours, with their nominal RGB in [0, 1] (the renderer jitters them by +-0.06). */
  enum Colour {
    /** Red. */
    RED(0.90, 0.15, 0.10),
    /** Green. */
    GREEN(0.15, 0.80, 0.15),
    /** Blue. */
    BLUE(0.15, 0.30, 0.95),
    /** Yellow. */
    YELLOW(0.95, 0.85, 0.10),
    /** Purple. */
    PURPLE(0.65, 0.20, 0.85),
    /** White. */
    WHITE(0.95, 0.95, 0.95);

    private final double r;
    private final double g;
    private final double b;

    Colour(double r, double g, double b) {
      this.r = r;
      this.g = g;
      this.b = b;
    }

    /** The nominal colour: {r, g, b} in [0, 1]. */
    public double[] rgb() {
      return new double[] {r, g, b};
    }

    /** The caption word. */
    public String word() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** Object shapes, drawn with {@link org.handgrad.data.SyntheticShapes#inside}. */
  enum Shape {
    /** Filled disc. */
    CIRCLE(0),
    /** Filled square. */
    SQUARE(2),
    /** Triangle, apex up. */
    TRIANGLE(4),
    /** Square turned 45 degrees. */
    DIAMOND(5);

    private final int shapesClass;

    Shape(int shapesClass) {
      this.shapesClass = shapesClass;
    }

    /** The class index of this shape in {@link org.handgrad.data.SyntheticShapes#CLASSES}. */
    public int shapesClass() {
      return shapesClass;
    }

    /** The caption word. */
    public String word() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** Object sizes: the radius ranges are the renderer's. */
  enum Size {
    /** Radius 9..11% of the image side. */
    SMALL,
    /** Radius 16..19% of the image side. */
    LARGE;

    /** The caption word. */
    public String word() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** Where a single object is. */
  enum Place {
    /** Centre in the left third, vertically near the middle. */
    LEFT("on the left"),
    /** Centre in the right third, vertically near the middle. */
    RIGHT("on the right"),
    /** Centre in the top third, horizontally near the middle. */
    TOP("at the top"),
    /** Centre in the bottom third, horizontally near the middle. */
    BOTTOM("at the bottom"),
    /** Centre within 10% of the image centre on both axes. */
    MIDDLE("in the middle");

    private final String phrase;

    Place(String phrase) {
      this.phrase = phrase;
    }

    /** The caption words. */
    public String phrase() {
      return phrase;
    }
  }

  /** Where the first object of a pair is relative to the second. */
  enum Relation {
    /** First object's centre well left of the second's. */
    LEFT_OF("to the left of"),
    /** First object's centre well right of the second's. */
    RIGHT_OF("to the right of"),
    /** First object's centre well above the second's. */
    ABOVE("above"),
    /** First object's centre well below the second's. */
    BELOW("below");

    private final String phrase;

    Relation(String phrase) {
      this.phrase = phrase;
    }

    /** The caption words. */
    public String phrase() {
      return phrase;
    }

    /**
     * The relation seen from the other object: left of &lt;-&gt; right of, above &lt;-&gt; below.
     */
    public Relation inverse() {
      return switch (this) {
        case LEFT_OF -> RIGHT_OF;
        case RIGHT_OF -> LEFT_OF;
        case ABOVE -> BELOW;
        case BELOW -> ABOVE;
      };
    }

    /** Whether the relation is along the x axis. */
    public boolean horizontal() {
      return this == LEFT_OF || this == RIGHT_OF;
    }
  }

  /**
   * One object's attributes.
   *
   * @param colour its colour
   * @param shape its shape
   * @param size its size
   */
  record Item(Colour colour, Shape shape, Size size) {
    /** Rejects nulls. */
    public Item {
      if (colour == null || shape == null || size == null) {
        throw new NullPointerException("Scene.Item: colour, shape and size must not be null");
      }
    }

    /** "a small red circle". */
    public String phrase() {
      return "a " + size.word() + " " + colour.word() + " " + shape.word();
    }
  }

  /**
   * One object at a place.
   *
   * @param item the object
   * @param place where it is
   */
  record Single(Item item, Place place) implements Scene {
    /** Rejects nulls. */
    public Single {
      if (item == null || place == null) {
        throw new NullPointerException("Scene.Single: item and place must not be null");
      }
    }

    @Override
    public List<String> captions() {
      return List.of(item.phrase() + " " + place.phrase());
    }

    @Override
    public Scene canonical() {
      return this;
    }

    @Override
    public List<Item> items() {
      return List.of(item);
    }
  }

  /**
   * Two objects: {@code first} is {@code relation} {@code second}.
   *
   * @param first the object named first
   * @param relation where the first object is relative to the second
   * @param second the object named second, of another colour
   */
  record Pair(Item first, Relation relation, Item second) implements Scene {
    /** Rejects nulls and two objects of one colour. */
    public Pair {
      if (first == null || relation == null || second == null) {
        throw new NullPointerException("Scene.Pair: items and relation must not be null");
      }
      if (first.colour() == second.colour()) {
        throw new IllegalArgumentException(
            "Scene.Pair: the two objects must differ in colour, both are " + first.colour().word());
      }
    }

    /** The stated caption, then the mirrored one ("B below A" for "A above B"). */
    @Override
    public List<String> captions() {
      return List.of(
          first.phrase() + " " + relation.phrase() + " " + second.phrase(),
          second.phrase() + " " + relation.inverse().phrase() + " " + first.phrase());
    }

    /** The same scene stated with "to the left of" or "above". */
    @Override
    public Scene canonical() {
      return relation == Relation.LEFT_OF || relation == Relation.ABOVE
          ? this
          : new Pair(second, relation.inverse(), first);
    }

    @Override
    public List<Item> items() {
      return List.of(first, second);
    }
  }

  /** The reference captions: the stated phrasing first, then equivalent ones. */
  List<String> captions();

  /**
   * The scene in a normal form: equal for captions that mean the same ("A above B" and "B below
   * A").
   */
  Scene canonical();

  /** The objects, in the order the first caption names them. */
  List<Item> items();

  /** Whether two scenes mean the same. */
  default boolean sameMeaning(Scene other) {
    return canonical().equals(other.canonical());
  }

  /** Every word the grammar can produce, in a fixed order (the vocabulary of the captions). */
  static List<String> words() {
    Set<String> w = new LinkedHashSet<>();
    w.add("a");
    for (Size s : Size.values()) {
      w.add(s.word());
    }
    for (Colour c : Colour.values()) {
      w.add(c.word());
    }
    for (Shape s : Shape.values()) {
      w.add(s.word());
    }
    for (Place p : Place.values()) {
      w.addAll(List.of(p.phrase().split(" ")));
    }
    for (Relation r : Relation.values()) {
      w.addAll(List.of(r.phrase().split(" ")));
    }
    return new ArrayList<>(w);
  }

  /**
   * Parses a caption of the grammar (whitespace-separated, lower case).
   *
   * @throws IllegalArgumentException naming the caption when it is not in the grammar
   */
  static Scene parse(String caption) {
    List<String> t = Vocab.tokenize(caption);
    Item first = parseItem(t, 0, caption);
    String rest = String.join(" ", t.subList(Math.min(4, t.size()), t.size()));
    for (Place p : Place.values()) {
      if (rest.equals(p.phrase())) {
        return new Single(first, p);
      }
    }
    for (Relation r : Relation.values()) {
      int n = r.phrase().split(" ").length;
      if (t.size() == 4 + n + 4 && rest.startsWith(r.phrase() + " ")) {
        Item second = parseItem(t, 4 + n, caption);
        if (second.colour() == first.colour()) {
          throw new IllegalArgumentException(
              "Scene.parse: both objects are " + first.colour().word() + " in '" + caption + "'");
        }
        return new Pair(first, r, second);
      }
    }
    throw new IllegalArgumentException("Scene.parse: no place or relation in '" + caption + "'");
  }

  private static Item parseItem(List<String> t, int at, String caption) {
    if (t.size() < at + 4 || !t.get(at).equals("a")) {
      throw new IllegalArgumentException(
          "Scene.parse: expected 'a <size> <colour> <shape>' at word "
              + at
              + " of '"
              + caption
              + "'");
    }
    return new Item(
        lookup(Colour.values(), t.get(at + 2), caption),
        lookup(Shape.values(), t.get(at + 3), caption),
        lookup(Size.values(), t.get(at + 1), caption));
  }

  private static <E extends Enum<E>> E lookup(E[] values, String word, String caption) {
    for (E e : values) {
      if (e.name().toLowerCase(java.util.Locale.ROOT).equals(word)) {
        return e;
      }
    }
    throw new IllegalArgumentException(
        "Scene.parse: '"
            + word
            + "' is not a "
            + values[0].getDeclaringClass().getSimpleName().toLowerCase(java.util.Locale.ROOT)
            + " in '"
            + caption
            + "'");
  }
}
