package org.handgrad.kernels;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What the kernels know about the CPU they run on, and the shapes they choose from it: read once at
 * start-up, overridable by system properties, and printed by every benchmark so that each figure
 * says where it was taken.
 *
 * <p>Facts: the vector width the JVM prefers (the Vector API's {@code SPECIES_PREFERRED}: 256 bits
 * with AVX2, 512 with AVX-512), the core count ({@link Runtime#availableProcessors()}), the data
 * cache sizes of cpu0 from {@code /sys/devices/system/cpu/cpu0/cache} (or, where a virtual machine
 * hides that directory, the one size {@code /proc/cpuinfo} gives: L2 on AMD, L3 on Intel) and the
 * model name from {@code /proc/cpuinfo} where those files exist (Linux), "unknown" elsewhere.
 *
 * <p>Choices: the vector width the kernels use (every vector kernel of this package takes its
 * species from {@code Species}, which reads {@link #vectorBits()}), and the GEMM micro-tile and
 * cache blocks. With 256-bit vectors the GEMMs keep the shapes measured on Zen 3 (5 x 16 float
 * tiles, 5 x 8 double tiles, the blocks in {@link SgemmVector} and {@link DgemmVector}). With
 * 512-bit vectors (32 registers) the tile grows to 8 rows (8 x 32 floats, 8 x 16 doubles: sixteen
 * accumulators, two B vectors and a broadcast, 19 of the 32 registers), with a deep K block
 * (measured: the analytical rule of Low et al., ACM TOMS 2016, a B sliver in half of L1, gave KC
 * 128 with the 32 KiB L1 assumed on a Zen 5 EPYC and ran float32 9-27% slower there, see {@link
 * #gemmShape}) and an A block (MC x KC) in a quarter of L2. L1 is read for the record only.
 *
 * <p>System properties (read once, so the JIT sees constants):
 *
 * <ul>
 *   <li>{@code handgrad.vector.bits} = 128, 256 or 512: the widest vectors the kernels may use (a
 *       cap: the hardware's width if that is narrower); {@code -Dhandgrad.vector.bits=256} runs the
 *       AVX2 kernels on an AVX-512 machine (the tests do, to cover both paths). On x86, 128 means
 *       the scalar twins (see {@link Kernels});
 *   <li>{@code handgrad.sgemm.mr} / {@code handgrad.dgemm.mr} = 5 or 8: the micro-tile rows;
 *   <li>{@code handgrad.sgemm.kc}, {@code .mc}, {@code .nc} and the same for {@code dgemm}: the
 *       cache blocks (MC is rounded down to a multiple of MR).
 * </ul>
 */
public final class CpuProfile {
  /** System property capping the vector width in bits: 128, 256 or 512. */
  public static final String VECTOR_BITS_PROPERTY = "handgrad.vector.bits";

  /**
   * Cache sizes assumed where neither sysfs nor cpuinfo gives them: Zen 3, where the 256-bit blocks
   * were tuned.
   */
  private static final long DEFAULT_L1D = 32 << 10;

  private static final long DEFAULT_L2 = 512 << 10;
  private static final long DEFAULT_L3 = 16 << 20;

  private static final CpuProfile CURRENT = detect();

  private final String model;
  private final int cores;
  private final int hardwareBits;
  private final int vectorBits;
  private final long l1d;
  private final long l2;
  private final long l3;

  /** "" when every cache size was read, else which were assumed, e.g. " (L1d, L3 assumed)". */
  private final String cachesAssumed;

  private final GemmShape sgemm;
  private final GemmShape dgemm;

  /**
   * A GEMM micro-tile and its cache blocks.
   *
   * @param mr micro-tile rows (5 or 8)
   * @param kc depth of a K block
   * @param mc rows of a packed A block, a multiple of mr
   * @param nc columns of a packed B panel
   */
  public record GemmShape(int mr, int kc, int mc, int nc) {
    /** Checks the tile and the blocks. */
    public GemmShape {
      if (mr != 5 && mr != 8) {
        throw new IllegalArgumentException("GemmShape: mr=" + mr + " must be 5 or 8");
      }
      if (kc < 1 || mc < mr || mc % mr != 0 || nc < 1) {
        throw new IllegalArgumentException(
            "GemmShape: need kc >= 1, mc a positive multiple of mr="
                + mr
                + ", nc >= 1; got kc="
                + kc
                + ", mc="
                + mc
                + ", nc="
                + nc);
      }
    }
  }

  private CpuProfile(
      String model,
      int cores,
      int hardwareBits,
      int vectorBits,
      long l1d,
      long l2,
      long l3,
      String cachesAssumed) {
    this.model = model;
    this.cores = cores;
    this.hardwareBits = hardwareBits;
    this.vectorBits = vectorBits;
    this.l1d = l1d;
    this.l2 = l2;
    this.l3 = l3;
    this.cachesAssumed = cachesAssumed;
    this.sgemm = gemmShape("sgemm", 4, vectorBits, l2);
    this.dgemm = gemmShape("dgemm", 8, vectorBits, l2);
  }

  /**
   * The profile of this machine, detected at class initialisation.
   *
   * @return the profile
   */
  public static CpuProfile current() {
    return CURRENT;
  }

  /**
   * The CPU model from {@code /proc/cpuinfo}, e.g. "AMD EPYC 7B13", or "unknown".
   *
   * @return the model name
   */
  public String model() {
    return model;
  }

  /**
   * Processors the JVM may use.
   *
   * @return {@link Runtime#availableProcessors()}
   */
  public int cores() {
    return cores;
  }

  /**
   * The widest fast vector the hardware offers, as the Vector API reports it; 0 when the incubator
   * module is absent.
   *
   * @return bits, e.g. 256 (AVX2) or 512 (AVX-512)
   */
  public int hardwareBits() {
    return hardwareBits;
  }

  /**
   * The vector width the kernels use: the hardware's unless {@value #VECTOR_BITS_PROPERTY} caps it
   * lower; 0 when the incubator module is absent.
   *
   * @return bits
   */
  public int vectorBits() {
    return vectorBits;
  }

  /**
   * L1 data cache of cpu0 in bytes (the Zen 3 value when unreadable).
   *
   * @return bytes
   */
  public long l1d() {
    return l1d;
  }

  /**
   * L2 cache of cpu0 in bytes (the Zen 3 value when unreadable).
   *
   * @return bytes
   */
  public long l2() {
    return l2;
  }

  /**
   * Last-level (L3) cache in bytes (16 MiB when unreadable).
   *
   * @return bytes
   */
  public long l3() {
    return l3;
  }

  /**
   * The float32 GEMM tile and blocks.
   *
   * @return the sgemm shape
   */
  public GemmShape sgemm() {
    return sgemm;
  }

  /**
   * The float64 GEMM tile and blocks.
   *
   * @return the dgemm shape
   */
  public GemmShape dgemm() {
    return dgemm;
  }

  /**
   * One line for benchmark headers: model, cores, vectors, caches, GEMM shapes.
   *
   * @return e.g. {@code "AMD EPYC | 2 cores | vectors 512-bit (hardware 512) | L1d 48 KiB, L2 1
   *     MiB, L3 32 MiB | sgemm 8x32 kc 1024 mc 64 nc 3072 | dgemm 8x16 kc 512 mc 64 nc 2048"}
   */
  public String describe() {
    String vectors =
        hardwareBits == 0
            ? "no Vector API"
            : vectorBits
                + "-bit"
                + (vectorBits != hardwareBits ? " (capped; hardware " + hardwareBits + ")" : "");
    return String.format(
        Locale.ROOT,
        "%s | %d core%s | vectors %s | L1d %s, L2 %s, L3 %s%s | sgemm %s | dgemm %s",
        model,
        cores,
        cores == 1 ? "" : "s",
        vectors,
        bytes(l1d),
        bytes(l2),
        bytes(l3),
        cachesAssumed,
        shape(sgemm, vectorBits / 32),
        shape(dgemm, vectorBits / 64));
  }

  private static String shape(GemmShape g, int lanes) {
    return String.format(
        Locale.ROOT, "%dx%d kc %d mc %d nc %d", g.mr(), 2 * lanes, g.kc(), g.mc(), g.nc());
  }

  private static String bytes(long b) {
    if (b >= 1 << 20 && b % (1 << 20) == 0) {
      return (b >> 20) + " MiB";
    }
    return (b >> 10) + " KiB";
  }

  /**
   * The GEMM shape for one element size. 256-bit (and narrower): the constants measured on Zen 3,
   * where they were tuned. 512-bit: 8 rows; a deep KC (1024 floats, 512 doubles, measured); MC so
   * that the A block (MC x KC) fills a quarter of L2; NC as at 256 bits. Each overridable by its
   * property.
   */
  static GemmShape gemmShape(String op, int elementBytes, int bits, long l2) {
    int lanes = Math.max(1, bits / (8 * elementBytes));
    int nr = 2 * lanes;
    int mr;
    int kc;
    int mc;
    int nc;
    if (bits < 512) {
      mr = 5;
      // Zen 3 tuning, kept as it was (see SgemmVector and DgemmVector for the measurements).
      kc = elementBytes == 4 ? 256 : 512;
      mc = elementBytes == 4 ? 140 : 40;
      nc = elementBytes == 4 ? 3072 : 2048;
    } else {
      // A deep KC rather than the L1 rule's (a B sliver in half of L1: 192 floats with a 48 KiB
      // L1): fewer K blocks mean fewer passes over a C that lives in L3, and each pass reads and
      // writes every C tile once more. MC keeps the A block (MC x KC) at a quarter of L2. Measured
      // on a Zen 5 EPYC (1 MiB L2), idle, 1024^3 and 2048^3, medians of 7 runs, 3 rounds
      // alternated: float32 KC 128 / MC 512 141-157 GFLOP/s on one thread and 280-294 on two, KC
      // 512 / MC 64 162-174 and 248-297, KC 1024 / MC 32 189-192 and 324-369 (KC 2048 and MC 128
      // no better); OpenBLAS's SkylakeX kernels 156-191 and 310-320 in the same sitting. float64
      // (thread CPU time, an earlier sitting): KC 192 / MC 336 90-98, KC 512 / MC 64 111-118, KC
      // 768 116; KC 1024 no better than 512 in the sitting above.
      mr = 8;
      kc = elementBytes == 4 ? 1024 : 512;
      mc = roundDown((int) (l2 / 4 / ((long) kc * elementBytes)), mr, 4 * mr, 1024);
      nc = elementBytes == 4 ? 3072 : 2048;
    }
    mr = intProperty("handgrad." + op + ".mr", mr);
    kc = Math.max(1, intProperty("handgrad." + op + ".kc", kc));
    mc = Math.max(1, intProperty("handgrad." + op + ".mc", mc) / mr) * mr;
    nc = Math.max(1, intProperty("handgrad." + op + ".nc", nc));
    return new GemmShape(mr, kc, mc, nc);
  }

  /** x rounded down to a multiple of unit, clamped to [lo, hi]. */
  private static int roundDown(int x, int unit, int lo, int hi) {
    return Math.max(lo, Math.min(hi, x / unit * unit));
  }

  private static int intProperty(String name, int fallback) {
    String s = System.getProperty(name);
    if (s == null || s.isBlank()) {
      return fallback;
    }
    try {
      return Integer.parseInt(s.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("-D" + name + ": expected an integer, got '" + s + "'", e);
    }
  }

  private static CpuProfile detect() {
    // Check for the module before touching VectorInfo, which links against it: without the module,
    // loading it would throw NoClassDefFoundError.
    boolean module = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    int hardware = module ? VectorInfo.bitSize() : 0;
    int bits = chooseBits(hardware, System.getProperty(VECTOR_BITS_PROPERTY));
    Path cpuinfo = Path.of("/proc/cpuinfo");
    long[] caches = readCaches(Path.of("/sys/devices/system/cpu/cpu0/cache"));
    if (caches == null) {
      // Some virtual machines hide sysfs's cache directory; /proc/cpuinfo still has one size.
      caches = cachesFromCpuinfo(cpuinfo);
    }
    return new CpuProfile(
        readModel(cpuinfo),
        Runtime.getRuntime().availableProcessors(),
        hardware,
        bits,
        caches[0] > 0 ? caches[0] : DEFAULT_L1D,
        caches[1] > 0 ? caches[1] : DEFAULT_L2,
        caches[2] > 0 ? caches[2] : DEFAULT_L3,
        assumedNote(caches));
  }

  /**
   * What a benchmark header adds after the cache sizes: nothing when all three were read, else
   * which were assumed.
   */
  static String assumedNote(long[] caches) {
    String[] names = {"L1d", "L2", "L3"};
    List<String> assumed = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      if (caches[i] <= 0) {
        assumed.add(names[i]);
      }
    }
    if (assumed.isEmpty()) {
      return "";
    }
    if (assumed.size() == 3) {
      return " (assumed)";
    }
    return " (" + String.join(", ", assumed) + " assumed)";
  }

  /**
   * Cache sizes from a cpuinfo file when sysfs has none: its "cache size" line is the L2 of one
   * core on AMD processors (e.g. "1024 KB" on Zen 5) and the shared L3 on Intel ones; the other
   * levels stay 0 (unknown), as does everything for other vendors or an unreadable file.
   */
  static long[] cachesFromCpuinfo(Path cpuinfo) {
    long[] sizes = new long[3];
    String vendor = cpuinfoField(cpuinfo, "vendor_id");
    String size = cpuinfoField(cpuinfo, "cache size");
    if (vendor == null || size == null) {
      return sizes;
    }
    long bytes;
    try {
      // "1024 KB": the unit's first letter is what parseSize reads.
      bytes = parseSize(size.replace(" ", "").replaceAll("(?i)b$", ""));
    } catch (RuntimeException e) {
      return sizes;
    }
    if (vendor.equals("AuthenticAMD")) {
      sizes[1] = bytes;
    } else if (vendor.equals("GenuineIntel")) {
      sizes[2] = bytes;
    }
    return sizes;
  }

  /**
   * The vector width to use: the hardware's, capped by the property when set. A cap rather than a
   * demand, so that {@code -Dhandgrad.vector.bits=256} (as the tests set it) means "the 256-bit
   * kernels" on an AVX-512 machine and changes nothing on an AVX2 one.
   *
   * @param hardware bits the Vector API prefers, 0 without the module
   * @param property the value of {@value #VECTOR_BITS_PROPERTY}, or null
   * @return bits, at most the hardware's
   * @throws IllegalArgumentException if the property is not 128, 256 or 512
   */
  static int chooseBits(int hardware, String property) {
    if (property == null || property.isBlank()) {
      return hardware;
    }
    int bits;
    try {
      bits = Integer.parseInt(property.trim());
    } catch (NumberFormatException e) {
      bits = -1;
    }
    if (bits != 128 && bits != 256 && bits != 512) {
      throw new IllegalArgumentException(
          "-D" + VECTOR_BITS_PROPERTY + ": expected 128, 256 or 512, got '" + property + "'");
    }
    return Math.min(bits, hardware);
  }

  /**
   * L1 data, L2 and L3 sizes in bytes from a sysfs cache directory ({@code index*} entries with
   * {@code level}, {@code type}, {@code size} such as "48K"), 0 for a level not found; null when
   * the directory cannot be read.
   */
  static long[] readCaches(Path dir) {
    long[] sizes = new long[3];
    try (var entries = Files.list(dir)) {
      for (Path index :
          entries.filter(p -> p.getFileName().toString().startsWith("index")).toList()) {
        int level = Integer.parseInt(Files.readString(index.resolve("level")).trim());
        String type = Files.readString(index.resolve("type")).trim();
        long size = parseSize(Files.readString(index.resolve("size")).trim());
        if (level == 1 && type.equals("Data")) {
          sizes[0] = size;
        } else if (level == 2 && !type.equals("Instruction")) {
          sizes[1] = size;
        } else if (level == 3 && !type.equals("Instruction")) {
          sizes[2] = size;
        }
      }
    } catch (IOException | RuntimeException e) {
      // Not Linux, or sysfs hidden (some containers): fall back to the assumed sizes.
      return null;
    }
    return sizes;
  }

  /** "48K" to 49152, "1024K" to 1048576, "32M" to 33554432, "512" to 512. */
  static long parseSize(String s) {
    char unit = Character.toUpperCase(s.charAt(s.length() - 1));
    long scale = unit == 'K' ? 1L << 10 : unit == 'M' ? 1L << 20 : unit == 'G' ? 1L << 30 : 1;
    String digits = scale == 1 ? s : s.substring(0, s.length() - 1);
    return Long.parseLong(digits.trim()) * scale;
  }

  /** The first "model name" of a cpuinfo file, or "unknown". */
  static String readModel(Path cpuinfo) {
    String model = cpuinfoField(cpuinfo, "model name");
    return model == null ? "unknown" : model;
  }

  /** The first value of a field of a cpuinfo file, or null (no such field, or not Linux). */
  private static String cpuinfoField(Path cpuinfo, String field) {
    try {
      List<String> lines = Files.readAllLines(cpuinfo, StandardCharsets.UTF_8);
      for (String line : lines) {
        int colon = line.indexOf(':');
        if (colon > 0 && line.substring(0, colon).trim().equals(field)) {
          return line.substring(colon + 1).trim();
        }
      }
    } catch (IOException | RuntimeException e) {
      // Not Linux: unknown.
    }
    return null;
  }
}
