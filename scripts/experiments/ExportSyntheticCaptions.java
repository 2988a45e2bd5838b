import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.handgrad.data.caption.CaptionDataset;
import org.handgrad.data.caption.CaptionSplit;
import org.handgrad.data.caption.SyntheticCaptions;
import org.handgrad.io.Npy;
import org.handgrad.tensor.Tensor;

/**
 * Writes the default synthetic captioning dataset (seed from the first argument, default 1) to
 * synthetic_captions.npz and its vocabulary to synthetic_captions_vocab.json in the folder given
 * as the second argument (default "."), for synthetic_captions_torch.py. Run from the repository
 * root after a build:
 *
 * <pre>
 * java -cp core/target/classes scripts/experiments/ExportSyntheticCaptions.java 1 /tmp
 * </pre>
 */
public class ExportSyntheticCaptions {
  public static void main(String[] args) throws Exception {
    long seed = args.length > 0 ? Long.parseLong(args[0]) : 1;
    Path dir = Path.of(args.length > 1 ? args[1] : ".");
    CaptionDataset d = SyntheticCaptions.generate(SyntheticCaptions.Config.defaults(seed));
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (Map.Entry<String, CaptionSplit> e : d.splits().entrySet()) {
      CaptionSplit s = e.getValue();
      out.put(e.getKey() + "_images", s.features());
      out.put(e.getKey() + "_captions", s.captions());
      out.put(e.getKey() + "_image_idxs", Tensor.of(s.imageIdxs(), s.numCaptions()));
    }
    Npy.writeNpz(dir.resolve("synthetic_captions.npz"), out);
    Files.writeString(dir.resolve("synthetic_captions_vocab.json"), d.vocab().toJson());
  }
}
