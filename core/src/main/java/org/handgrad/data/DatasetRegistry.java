package org.handgrad.data;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The datasets handgrad knows: their sources, checksums and where to look for local copies.
 *
 * <p>Provenance of the facts in {@link #defaults()} (see docs/conventions.md, section "data"):
 *
 * <ul>
 *   <li>URLs: the datasets' official pages (Fashion-MNIST's README, the MNIST page, the CIFAR page)
 *       first, then well-known mirrors of the identical files (the Fashion-MNIST GitHub repository,
 *       the PyTorch MNIST mirror).
 *   <li>MD5: the official ones where the authors publish them (Fashion-MNIST README, CIFAR page);
 *       for MNIST, which publishes none, the MD5s torchvision has checked for years.
 *   <li>SHA-256 and sizes: no author publishes SHA-256. The values here are the ones recorded
 *       identically by many independent downloaders (TensorFlow Datasets among them); they are
 *       consistent with the official MD5s but were not re-measured here (no network).
 *   <li>Debian's {@code dataset-fashion-mnist} (0.0~git20200523.55506a9-1) ships recompressed .gz
 *       files: their bytes, MD5 and SHA-256 differ from the upstream downloads (e.g. 26421856 vs
 *       26421880 bytes for the training images), so a system copy is recognized by its file names
 *       and validated by the IDX reader, not by the download checksums.
 * </ul>
 */
public final class DatasetRegistry {
  private final List<DatasetInfo> datasets;

  /** A registry of the given datasets (tests use their own). */
  public DatasetRegistry(List<DatasetInfo> datasets) {
    this.datasets = List.copyOf(datasets);
  }

  /** The built-in registry: fashion-mnist, mnist, cifar10, shapes. */
  public static DatasetRegistry defaults() {
    return new DatasetRegistry(List.of(fashionMnist(), mnist(), cifar10(), shapes()));
  }

  /** All datasets, in listing order. */
  public List<DatasetInfo> all() {
    return datasets;
  }

  /** The dataset with this name, if known. */
  public Optional<DatasetInfo> find(String name) {
    return datasets.stream().filter(d -> d.name().equals(name)).findFirst();
  }

  /**
   * The dataset with this name.
   *
   * @throws IllegalArgumentException naming the known datasets when the name is unknown
   */
  public DatasetInfo get(String name) {
    return find(name)
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    "unknown dataset '" + name + "'; known datasets: " + names()));
  }

  /** The known names, comma-separated. */
  public String names() {
    return datasets.stream().map(DatasetInfo::name).collect(Collectors.joining(", "));
  }

  /**
   * The first folder holding every required file of the dataset: the data folder's {@code
   * dataDir/name} first, then the dataset's system folders. Empty for generated datasets.
   */
  public Optional<Path> locate(DatasetInfo info, DataDirs dirs) {
    if (info.kind() == DatasetInfo.Kind.SYNTHETIC) {
      return Optional.empty();
    }
    List<Path> candidates = new ArrayList<>();
    candidates.add(dirs.datasetDir(info.name()));
    candidates.addAll(info.systemDirs());
    for (Path dir : candidates) {
      if (isComplete(info, dir)) {
        return Optional.of(dir);
      }
    }
    return Optional.empty();
  }

  /** Whether {@code dir} holds every required file (a .gz name also accepts its unpacked form). */
  public static boolean isComplete(DatasetInfo info, Path dir) {
    if (!Files.isDirectory(dir)) {
      return false;
    }
    for (String f : info.requiredFiles()) {
      Path p = dir.resolve(f);
      if (DataFiles.findVariant(p.getParent(), p.getFileName().toString()) == null) {
        return false;
      }
    }
    return true;
  }

  /** Total size in bytes of the required files found in {@code dir}. */
  public static long localSize(DatasetInfo info, Path dir) throws IOException {
    long sum = 0;
    for (String f : info.requiredFiles()) {
      Path p = dir.resolve(f);
      Path found = DataFiles.findVariant(p.getParent(), p.getFileName().toString());
      if (found != null) {
        sum += Files.size(found);
      }
    }
    return sum;
  }

  /**
   * Loads a dataset from wherever it is found; {@code shapes} is generated (CIFAR-10 sized, seed
   * 0).
   *
   * @throws IOException when the files are missing (the message says how to get them) or invalid
   */
  public Dataset load(String name, DataDirs dirs) throws IOException {
    DatasetInfo info = get(name);
    if (info.kind() == DatasetInfo.Kind.SYNTHETIC) {
      return SyntheticShapes.generate(SyntheticShapes.Config.cifarLike(0));
    }
    Path dir =
        locate(info, dirs)
            .orElseThrow(
                () -> new IOException(name + " is not available.\n" + howToGet(info, dirs)));
    return switch (info.kind()) {
      case IDX -> Mnist.load(dir, info.name(), info.classNames());
      case CIFAR10_BINARY -> Cifar10.load(dir);
      case SYNTHETIC -> throw new AssertionError("handled above");
    };
  }

  /** Instructions to get a missing dataset: fetch, copy by hand, or install the system package. */
  public static String howToGet(DatasetInfo info, DataDirs dirs) {
    Path target = dirs.datasetDir(info.name());
    StringBuilder sb = new StringBuilder();
    if (info.kind() == DatasetInfo.Kind.SYNTHETIC) {
      return "  " + info.name() + " is generated on the fly; nothing to download.";
    }
    long size = info.downloadSize();
    sb.append("  download it:   ./handgrad data fetch ")
        .append(info.name())
        .append(" (")
        .append(size > 0 ? humanBytes(size) + "; " : "")
        .append("needs network, resumes if interrupted)")
        .append('\n');
    sb.append("  or by hand:    download ").append(sources(info));
    sb.append("\n                 and copy the file(s) into ").append(target);
    if (info.files().stream().anyMatch(DatasetInfo.RemoteFile::archive)) {
      sb.append(" (then extract them there, or let 'data fetch' do it)");
    }
    if (info.aptPackage() != null) {
      sb.append("\n  or install:    sudo apt-get install ")
          .append(info.aptPackage())
          .append(" (found automatically in ")
          .append(info.systemDirs().isEmpty() ? "its system folder" : info.systemDirs().get(0))
          .append(")");
    }
    sb.append("\n  or train on the built-in synthetic dataset 'shapes', which needs no download");
    return sb.toString();
  }

  /** "a.gz, b.gz from BASE" when the first URLs share a folder, else the URLs themselves. */
  private static String sources(DatasetInfo info) {
    List<String> names = new ArrayList<>();
    String base = null;
    boolean shared = true;
    for (DatasetInfo.RemoteFile f : info.files()) {
      String url = f.urls().get(0).toString();
      String folder = url.substring(0, url.lastIndexOf('/') + 1);
      shared &= base == null || base.equals(folder);
      base = folder;
      names.add(url.substring(folder.length()));
    }
    if (shared && names.size() > 1) {
      return String.join(", ", names) + "\n                 from " + base;
    }
    return info.files().stream()
        .map(f -> f.urls().get(0).toString())
        .collect(Collectors.joining(", "));
  }

  /** Bytes for people: "26.4 MB" (decimal units, like the dataset pages). */
  public static String humanBytes(long bytes) {
    if (bytes < 1000) {
      return bytes + " B";
    }
    String[] units = {"kB", "MB", "GB", "TB"};
    double v = bytes;
    int u = -1;
    while (v >= 1000 && u < units.length - 1) {
      v /= 1000;
      u++;
    }
    return String.format(java.util.Locale.ROOT, v < 10 ? "%.2f %s" : "%.1f %s", v, units[u]);
  }

  // ---------------------------------------------------------------- the built-in datasets

  private static DatasetInfo.RemoteFile file(
      String name, List<String> bases, long size, String sha256, String md5) {
    List<URI> urls = bases.stream().map(b -> URI.create(b + name)).toList();
    return new DatasetInfo.RemoteFile(
        name, urls, new Downloader.Expected(size, sha256, md5), false);
  }

  static DatasetInfo fashionMnist() {
    List<String> bases =
        List.of(
            "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
            "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/");
    return new DatasetInfo(
        "fashion-mnist",
        "Zalando's article images: 60000 + 10000 grey 28x28, 10 classes",
        DatasetInfo.Kind.IDX,
        "https://github.com/zalandoresearch/fashion-mnist",
        Mnist.FASHION,
        List.of(
            file(
                "train-images-idx3-ubyte.gz",
                bases,
                26_421_880,
                "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
                "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
            file(
                "train-labels-idx1-ubyte.gz",
                bases,
                29_515,
                "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
                "25c81989df183df01b3e8a0aad5dffbe"),
            file(
                "t10k-images-idx3-ubyte.gz",
                bases,
                4_422_102,
                "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
                "bef4ecab320f06d8554ea6380940ec79"),
            file(
                "t10k-labels-idx1-ubyte.gz",
                bases,
                5_148,
                "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
                "bb300cfdad3c16e7a12a480ee83cd310")),
        Mnist.FILES,
        List.of(Path.of("/usr/share/datasets/fashion-mnist")),
        "dataset-fashion-mnist");
  }

  static DatasetInfo mnist() {
    List<String> bases =
        List.of(
            "http://yann.lecun.com/exdb/mnist/", "https://ossci-datasets.s3.amazonaws.com/mnist/");
    return new DatasetInfo(
        "mnist",
        "handwritten digits: 60000 + 10000 grey 28x28, 10 classes",
        DatasetInfo.Kind.IDX,
        "http://yann.lecun.com/exdb/mnist/",
        Mnist.DIGITS,
        List.of(
            file(
                "train-images-idx3-ubyte.gz",
                bases,
                9_912_422,
                "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
                "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
            file(
                "train-labels-idx1-ubyte.gz",
                bases,
                28_881,
                "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
                "d53e105ee54ea40749a09fcbcd1e9432"),
            file(
                "t10k-images-idx3-ubyte.gz",
                bases,
                1_648_877,
                "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
                "9fb629c4189551a2d022fa330f9573f3"),
            file(
                "t10k-labels-idx1-ubyte.gz",
                bases,
                4_542,
                "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
                "ec29112dd5afa0611ce80d1b7f02629c")),
        Mnist.FILES,
        List.of(),
        null);
  }

  static DatasetInfo cifar10() {
    List<String> required = new ArrayList<>();
    for (String f : Cifar10.TRAIN_FILES) {
      required.add(Cifar10.FOLDER + "/" + f);
    }
    required.add(Cifar10.FOLDER + "/" + Cifar10.TEST_FILE);
    DatasetInfo.RemoteFile archive =
        new DatasetInfo.RemoteFile(
            "cifar-10-binary.tar.gz",
            List.of(URI.create("https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz")),
            new Downloader.Expected(
                170_052_171,
                "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd",
                "c32a1d4ab5d03f1284b67883e8d87530"),
            true);
    return new DatasetInfo(
        "cifar10",
        "CIFAR-10 binary version: 50000 + 10000 colour 32x32, 10 classes",
        DatasetInfo.Kind.CIFAR10_BINARY,
        "https://www.cs.toronto.edu/~kriz/cifar.html",
        Cifar10.CLASSES,
        List.of(archive),
        required,
        List.of(),
        null);
  }

  static DatasetInfo shapes() {
    return new DatasetInfo(
        "shapes",
        "synthetic coloured shapes, generated on the fly (3x32x32 or 1x28x28), 10 classes",
        DatasetInfo.Kind.SYNTHETIC,
        "built in: org.handgrad.data.SyntheticShapes",
        SyntheticShapes.CLASSES,
        List.of(),
        List.of(),
        List.of(),
        null);
  }
}
