package org.handgrad.kernels;

/**
 * The one switch that chooses between the Vector API kernels and their plain-Java scalar twins, for
 * the whole {@code kernels} package.
 *
 * <p>Every vector kernel in this package has a scalar twin: the reference the tests compare against
 * and the fallback when the Vector API cannot be used. A kernel asks {@link #useVector()} once per
 * call and takes the scalar twin when it returns false. That happens when:
 *
 * <ul>
 *   <li>the scalar kernels are forced, with {@link #forceScalar(boolean)} or the system property
 *       {@code -Dhandgrad.kernels.scalar=true} (read once at start-up);
 *   <li>the JVM was started without {@code --add-modules jdk.incubator.vector}, so the incubator
 *       module is absent (the classes that use it are then never loaded);
 *   <li>the vectors ({@link CpuProfile#vectorBits()}) are too narrow: on x86 below 256 bits (no
 *       AVX2 means no hardware FMA, which the Vector API would then emulate slowly), elsewhere
 *       below 128 bits. ARM's 128-bit NEON has FMA and takes the vector kernels.
 * </ul>
 */
public final class Kernels {
  /** System property that forces the scalar twins from start-up when set to {@code true}. */
  public static final String SCALAR_PROPERTY = "handgrad.kernels.scalar";

  private static final boolean VECTOR_AVAILABLE = detectVector();

  private static volatile boolean forceScalar = Boolean.getBoolean(SCALAR_PROPERTY);

  private Kernels() {}

  /**
   * Forces (or stops forcing) the scalar twins for every kernel in this package. Meant for tests
   * and benchmarks; takes effect at the next kernel call.
   *
   * @param scalar true to use the plain-Java kernels only
   */
  public static void forceScalar(boolean scalar) {
    forceScalar = scalar;
  }

  /**
   * Whether the scalar twins are forced by {@link #forceScalar(boolean)} or the system property.
   *
   * @return true if the scalar kernels are forced
   */
  public static boolean scalarForced() {
    return forceScalar;
  }

  /**
   * Whether this JVM and machine can run the Vector API kernels at all (module present, vectors at
   * least 256 bits wide), regardless of the switch.
   *
   * @return true if the vector kernels are available
   */
  public static boolean vectorAvailable() {
    return VECTOR_AVAILABLE;
  }

  /**
   * Whether kernels should take their Vector API path now: available and not forced scalar.
   *
   * @return true to use the vector kernels
   */
  public static boolean useVector() {
    return VECTOR_AVAILABLE && !forceScalar;
  }

  /**
   * One line naming the kernels in use, for benchmark and run reports.
   *
   * @return e.g. {@code "vector (256-bit)"} or {@code "scalar (forced)"}
   */
  public static String describe() {
    if (forceScalar) {
      return "scalar (forced)";
    }
    if (!VECTOR_AVAILABLE) {
      return "scalar (Vector API unavailable: needs --add-modules jdk.incubator.vector, and AVX2 on"
          + " x86)";
    }
    return "vector (" + CpuProfile.current().vectorBits() + "-bit)";
  }

  private static boolean detectVector() {
    // CpuProfile reports 0 bits when the incubator module is absent.
    String arch = System.getProperty("os.arch", "");
    boolean x86 = arch.equals("amd64") || arch.equals("x86_64") || arch.equals("x86");
    return CpuProfile.current().vectorBits() >= (x86 ? 256 : 128);
  }
}
