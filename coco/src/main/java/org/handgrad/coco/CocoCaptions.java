package org.handgrad.coco;

import io.jhdf.HdfFile;
import io.jhdf.Superblock;
import io.jhdf.api.Dataset;
import io.jhdf.api.Node;
import io.jhdf.api.dataset.ChunkedDataset;
import io.jhdf.api.dataset.ContiguousDataset;
import io.jhdf.exceptions.HdfException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.handgrad.data.caption.CaptionDataset;
import org.handgrad.data.caption.CaptionSplit;
import org.handgrad.data.caption.Vocab;
import org.handgrad.tensor.Rng;
import org.handgrad.tensor.Shapes;
import org.handgrad.tensor.Tensor;

/**
 * Reads CS231n's COCO 2014 captioning data (assignment 3, {@code load_coco_data}) from a folder.
 *
 * <p>Files, as CS231n's {@code get_coco_captioning.sh} unpacks them:
 *
 * <ul>
 *   <li>{@code coco2014_captions.h5}: datasets {@code train_captions} (M, 17) int32, {@code
 *       train_image_idxs} (M,) int32, {@code val_captions}, {@code val_image_idxs} (CS231n: 400135
 *       train and 195954 val captions);
 *   <li>features per split: {@code train2014_vgg16_fc7_pca.h5} (PCA, D = 512) or {@code
 *       train2014_vgg16_fc7.h5} (VGG-16 fc7, D = 4096), each holding a dataset {@code features} (N,
 *       D) float32 (CS231n: 82783 train and 40504 val images); likewise {@code val2014_...};
 *   <li>{@code coco2014_vocab.json}: {@code idx_to_word} / {@code word_to_idx} (1004 tokens);
 *   <li>{@code train2014_urls.txt}, {@code val2014_urls.txt}: one image URL per line.
 * </ul>
 *
 * <p>Two layouts of the features are accepted: CS231n's separate feature files (preferred, as
 * CS231n reads them after the captions file and they replace anything of the same name), or
 * datasets {@code train_features} / {@code val_features} inside the captions file (used when the
 * feature file is absent; {@link Options#pcaFeatures} then has no effect). URL files are optional
 * here (CS231n requires them): absent, the splits have no URLs.
 *
 * <p>Captions may be stored as any integer type and are returned as int32; features as float32 or
 * float64 and are returned as float32 (CS231n's files hold int32 and float32). Every file and
 * dataset is checked for presence, rank and agreeing sizes, image indices against the number of
 * images and tokens against the vocabulary; errors are {@link IOException}s naming the file and the
 * dataset.
 */
public final class CocoCaptions {
  private CocoCaptions() {}

  /** The captions file name. */
  public static final String CAPTIONS_FILE = "coco2014_captions.h5";

  /** The vocabulary file name. */
  public static final String VOCAB_FILE = "coco2014_vocab.json";

  /** The splits, in CS231n's names. */
  public static final List<String> SPLITS = List.of("train", "val");

  /**
   * Loading options, CS231n's {@code load_coco_data(max_train=None, pca_features=True)}.
   *
   * @param pcaFeatures read the 512-d PCA features ({@code *_vgg16_fc7_pca.h5}) rather than the
   *     4096-d fc7 features
   * @param maxTrain keep this many training captions, drawn uniformly with replacement as CS231n
   *     does, or {@link #ALL}
   * @param seed seeds the {@link Rng} of the subsampling
   */
  public record Options(boolean pcaFeatures, int maxTrain, long seed) {
    /** {@code maxTrain} value that keeps every training caption. */
    public static final int ALL = -1;

    /** Validates maxTrain. */
    public Options {
      if (maxTrain < ALL) {
        throw new IllegalArgumentException(
            "coco: maxTrain must be >= 0 or ALL (-1), got " + maxTrain);
      }
    }

    /** CS231n's defaults: PCA features, every training caption. */
    public static Options defaults() {
      return new Options(true, ALL, 0);
    }
  }

  /** Loads with {@link Options#defaults()}. */
  public static CaptionDataset load(Path dir) throws IOException {
    return load(dir, Options.defaults());
  }

  /**
   * Loads the train and val splits and the vocabulary from a folder.
   *
   * @return dataset "coco2014" with splits "train" and "val": captions (M, T) int32, image indices
   *     (M), features (N, D) float32, URLs (N or none)
   * @throws IOException when a file or dataset is missing, unreadable or inconsistent, naming it
   */
  public static CaptionDataset load(Path dir, Options options) throws IOException {
    Path captionsFile = dir.resolve(CAPTIONS_FILE);
    Path vocabFile = dir.resolve(VOCAB_FILE);
    requireFile(captionsFile);
    requireFile(vocabFile);
    Vocab vocab = Vocab.load(vocabFile);
    Map<String, CaptionSplit> splits = new LinkedHashMap<>();
    try (HdfFile h5 = open(captionsFile)) {
      for (String split : SPLITS) {
        splits.put(split, readSplit(dir, h5, captionsFile, split, options.pcaFeatures()));
      }
    } catch (RuntimeException e) { // jhdf reports corrupt structures with many runtime types
      throw corrupt(captionsFile, e);
    }
    if (options.maxTrain() != Options.ALL) {
      // CS231n: mask = np.random.randint(num_train, size=max_train), captions and indices only.
      splits.put(
          "train", splits.get("train").subsample(options.maxTrain(), new Rng(options.seed())));
    }
    try {
      return new CaptionDataset("coco2014", vocab, splits);
    } catch (IllegalArgumentException e) {
      throw new IOException(
          "coco: " + captionsFile + " and " + vocabFile + ": " + e.getMessage(), e);
    }
  }

  private static CaptionSplit readSplit(
      Path dir, HdfFile h5, Path captionsFile, String split, boolean pca) throws IOException {
    Dataset captionsSet = dataset(h5, captionsFile, split + "_captions");
    int[] captionsShape = shape(captionsSet, captionsFile, 2);
    if (captionsShape[1] < 2) {
      throw new IOException(
          "coco: "
              + captionsFile
              + ": dataset '"
              + split
              + "_captions' has shape "
              + Shapes.str(captionsShape)
              + ", expected (M, T) with T >= 2");
    }
    int[] captions = ints(captionsSet, captionsFile);
    Dataset idxSet = dataset(h5, captionsFile, split + "_image_idxs");
    int[] idxShape = shape(idxSet, captionsFile, 1);
    if (idxShape[0] != captionsShape[0]) {
      throw new IOException(
          "coco: "
              + captionsFile
              + ": dataset '"
              + split
              + "_image_idxs' has shape "
              + Shapes.str(idxShape)
              + " but '"
              + split
              + "_captions' has "
              + Shapes.str(captionsShape)
              + ": expected one image index per caption");
    }
    int[] imageIdxs = ints(idxSet, captionsFile);
    Tensor features = readFeatures(dir, h5, captionsFile, split, pca);
    Path separate = dir.resolve(split + "2014_vgg16_fc7" + (pca ? "_pca" : "") + ".h5");
    Path featuresFile = Files.isRegularFile(separate) ? separate : captionsFile;
    List<String> urls =
        readUrls(dir.resolve(split + "2014_urls.txt"), features.shape(0), featuresFile);
    try {
      return new CaptionSplit(
          Tensor.of(captions, captionsShape[0], captionsShape[1]), imageIdxs, features, urls);
    } catch (IllegalArgumentException e) {
      throw new IOException(
          "coco: " + captionsFile + ": split " + split + ": " + e.getMessage(), e);
    }
  }

  /**
   * The separate features file when present, else {@code <split>_features} in the captions file.
   */
  private static Tensor readFeatures(
      Path dir, HdfFile h5, Path captionsFile, String split, boolean pca) throws IOException {
    Path file = dir.resolve(split + "2014_vgg16_fc7" + (pca ? "_pca" : "") + ".h5");
    if (Files.isRegularFile(file)) {
      try (HdfFile f = open(file)) {
        return floats(dataset(f, file, "features"), file);
      } catch (RuntimeException e) {
        throw corrupt(file, e);
      }
    }
    String name = split + "_features";
    if (!h5.getChildren().containsKey(name)) {
      throw new IOException(
          "coco: no "
              + split
              + " features: neither "
              + file
              + " (dataset 'features') nor dataset '"
              + name
              + "' in "
              + captionsFile);
    }
    return floats(dataset(h5, captionsFile, name), captionsFile);
  }

  /** The URL lines, stripped as CS231n's {@code line.strip()}; none when the file is absent. */
  private static List<String> readUrls(Path file, int numImages, Path featuresFile)
      throws IOException {
    if (!Files.isRegularFile(file)) {
      return List.of();
    }
    List<String> urls = new ArrayList<>();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      urls.add(line.strip());
    }
    if (urls.size() != numImages) {
      throw new IOException(
          "coco: "
              + file
              + " has "
              + urls.size()
              + " URLs, expected one per image: "
              + featuresFile
              + " holds features of "
              + numImages
              + " images");
    }
    return urls;
  }

  // ---------------------------------------------------------------- HDF5 helpers

  private static void requireFile(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IOException("coco: missing file " + file);
    }
  }

  /** An IOException naming the file for a runtime failure inside jhdf. */
  private static IOException corrupt(Path file, RuntimeException e) {
    String what = e instanceof HdfException ? "" : e.getClass().getSimpleName() + ": ";
    return new IOException(
        "coco: " + file + ": corrupt or unreadable HDF5 (" + what + e.getMessage() + ")", e);
  }

  /**
   * Opens an HDF5 file through a read-only memory map, so every read jhdf makes is bounded by the
   * file: a length or address in a corrupt header that points past the end fails instead of
   * allocating what it claims or reading zeros beyond the end. The superblock's end-of-file address
   * must not exceed the file's size (a shorter file was truncated).
   */
  private static HdfFile open(Path file) throws IOException {
    HdfFile h5;
    long size = Files.size(file);
    try {
      if (size <= Integer.MAX_VALUE) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
          h5 = HdfFile.fromByteBuffer(ch.map(FileChannel.MapMode.READ_ONLY, 0, size));
        }
      } else {
        h5 = new HdfFile(file); // beyond one map; the end-of-file check below still applies
      }
    } catch (RuntimeException e) {
      throw new IOException(
          "coco: " + file + ": not a readable HDF5 file (" + e.getMessage() + ")", e);
    }
    try {
      Superblock sb = h5.getHdfBackingStorage().getSuperblock();
      long end = sb.getBaseAddressByte() + sb.getEndOfFileAddress();
      if (end > size || end < 0) {
        throw new IOException(
            "coco: "
                + file
                + ": truncated HDF5 file: expected "
                + Long.toUnsignedString(end)
                + " bytes (the superblock's end-of-file address), found "
                + size);
      }
    } catch (IOException | RuntimeException e) {
      h5.close();
      throw e instanceof IOException io ? io : corrupt(file, (RuntimeException) e);
    }
    return h5;
  }

  /**
   * Checks, before a dataset's values are read, that its declared extent is plausible for the file:
   * a contiguous dataset must lie inside the file; a chunked (compressed) one cannot decompress to
   * more than deflate's maximum ratio (1032:1) of the file.
   */
  private static void checkExtent(Dataset d, Path file) throws IOException {
    long elements = 1;
    for (int dim : d.getDimensions()) {
      if (dim < 0) {
        throw new IOException(
            "coco: " + file + ": dataset '" + d.getName() + "' has a negative dimension " + dim);
      }
      elements = dim == 0 ? 0 : Math.min(Long.MAX_VALUE / dim, elements) * dim;
    }
    int width = d.getDataType().getSize();
    long fileSize = Files.size(file);
    long bytes = elements > Long.MAX_VALUE / Math.max(1, width) ? Long.MAX_VALUE : elements * width;
    long limit;
    String where;
    if (d instanceof ContiguousDataset c) {
      long start = c.getDataAddress();
      limit = start < 0 || start > fileSize ? 0 : fileSize - start;
      where = "the file has " + limit + " bytes from its data address " + start;
    } else {
      limit = Math.min(Long.MAX_VALUE / 1032, fileSize) * 1032;
      where = "a compressed file of " + fileSize + " bytes holds at most " + limit;
      if (d instanceof ChunkedDataset c) {
        // jhdf walks every element of a chunk: a corrupt chunk shape must not cost hours.
        long chunk = 1;
        for (int dim : c.getChunkDimensions()) {
          chunk = dim < 1 ? -1 : Math.min(Long.MAX_VALUE / dim, chunk) * dim;
          if (chunk < 0) {
            break;
          }
        }
        if (chunk < 0 || chunk > limit / Math.max(1, width)) {
          throw new IOException(
              "coco: "
                  + file
                  + ": dataset '"
                  + d.getName()
                  + "' declares chunks of shape "
                  + Shapes.str(c.getChunkDimensions())
                  + ": expected sizes >= 1 and at most "
                  + limit
                  + " bytes per chunk (1032x the "
                  + fileSize
                  + "-byte file, deflate's maximum ratio)");
        }
      }
    }
    if (elements > Integer.MAX_VALUE - 8 || bytes > limit) {
      throw new IOException(
          "coco: "
              + file
              + ": dataset '"
              + d.getName()
              + "' declares shape "
              + Shapes.str(d.getDimensions())
              + " of "
              + width
              + "-byte values ("
              + bytes
              + " bytes) but "
              + where);
    }
  }

  /** The dataset at the root of the file with this name. */
  private static Dataset dataset(HdfFile h5, Path file, String name) throws IOException {
    Map<String, Node> children = h5.getChildren();
    Node node = children.get(name);
    if (node == null) {
      throw new IOException(
          "coco: " + file + ": missing dataset '" + name + "' (has " + children.keySet() + ")");
    }
    if (!(node instanceof Dataset d)) {
      throw new IOException("coco: " + file + ": '" + name + "' is a group, expected a dataset");
    }
    return d;
  }

  private static int[] shape(Dataset d, Path file, int rank) throws IOException {
    int[] dims = d.getDimensions();
    if (dims.length != rank) {
      throw new IOException(
          "coco: "
              + file
              + ": dataset '"
              + d.getName()
              + "' has shape "
              + Shapes.str(dims)
              + ", expected "
              + rank
              + " dimensions");
    }
    return dims;
  }

  /** Any integer dataset as int32 values, row-major. */
  private static int[] ints(Dataset d, Path file) throws IOException {
    checkExtent(d, file);
    Object data = d.getDataFlat();
    if (data instanceof int[] a) {
      return a;
    }
    if (data instanceof long[] a) {
      int[] out = new int[a.length];
      for (int i = 0; i < a.length; i++) {
        if (a[i] != (int) a[i]) {
          throw new IOException(
              "coco: " + file + ": dataset '" + d.getName() + "' holds " + a[i] + ", beyond int32");
        }
        out[i] = (int) a[i];
      }
      return out;
    }
    if (data instanceof short[] a) {
      int[] out = new int[a.length];
      for (int i = 0; i < a.length; i++) {
        out[i] = a[i];
      }
      return out;
    }
    if (data instanceof byte[] a) {
      int[] out = new int[a.length];
      for (int i = 0; i < a.length; i++) {
        out[i] = a[i];
      }
      return out;
    }
    throw new IOException(
        "coco: "
            + file
            + ": dataset '"
            + d.getName()
            + "' holds "
            + d.getJavaType().getSimpleName()
            + ", expected integers");
  }

  /** A 2-D float dataset as a float32 (N, D) tensor. */
  private static Tensor floats(Dataset d, Path file) throws IOException {
    int[] dims = shape(d, file, 2);
    checkExtent(d, file);
    Object data = d.getDataFlat();
    if (data instanceof float[] a) {
      return Tensor.of(a, dims);
    }
    if (data instanceof double[] a) {
      float[] out = new float[a.length];
      for (int i = 0; i < a.length; i++) {
        out[i] = (float) a[i];
      }
      return Tensor.of(out, dims);
    }
    throw new IOException(
        "coco: "
            + file
            + ": dataset '"
            + d.getName()
            + "' holds "
            + d.getJavaType().getSimpleName()
            + ", expected float32 or float64 features");
  }
}
