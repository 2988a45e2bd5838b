package org.handgrad.models.ssl.dino;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.handgrad.models.vit.VisionTransformer;
import org.handgrad.tensor.DType;

/**
 * {@link DinoTrainer.Options} as safetensors metadata (string to string), one key per field, so a
 * checkpoint alone rebuilds its networks ({@code segment-video --checkpoint}).
 */
final class DinoOptionsIo {
  private DinoOptionsIo() {}

  static Map<String, String> toMetadata(DinoTrainer.Options o) {
    Map<String, String> m = new LinkedHashMap<>();
    VisionTransformer.Config v = o.vit();
    int[] in = v.inputDim();
    m.put("vit.channels", Integer.toString(in[0]));
    m.put("vit.height", Integer.toString(in[1]));
    m.put("vit.width", Integer.toString(in[2]));
    m.put("vit.patch", Integer.toString(v.patch()));
    m.put("vit.dim", Integer.toString(v.dim()));
    m.put("vit.depth", Integer.toString(v.depth()));
    m.put("vit.heads", Integer.toString(v.heads()));
    m.put("vit.mlp_dim", Integer.toString(v.mlpDim()));
    m.put("vit.num_classes", Integer.toString(v.numClasses()));
    m.put("vit.dropout", Double.toString(v.dropout()));
    m.put("vit.dtype", v.dtype().numpyName());
    m.put("vit.seed", Long.toString(v.seed()));
    m.put("hidden_dim", Integer.toString(o.hiddenDim()));
    m.put("bottleneck_dim", Integer.toString(o.bottleneckDim()));
    m.put("out_dim", Integer.toString(o.outDim()));
    m.put("local_size", Integer.toString(o.localSize()));
    m.put("num_local", Integer.toString(o.numLocal()));
    m.put("student_temp", Double.toString(o.studentTemp()));
    m.put("teacher_temp_start", Double.toString(o.teacherTempStart()));
    m.put("teacher_temp_end", Double.toString(o.teacherTempEnd()));
    m.put("teacher_temp_warmup", Integer.toString(o.teacherTempWarmup()));
    m.put("momentum_base", Double.toString(o.momentumBase()));
    m.put("center_momentum", Double.toString(o.centerMomentum()));
    m.put("learning_rate", Double.toString(o.learningRate()));
    m.put("min_learning_rate", Double.toString(o.minLearningRate()));
    m.put("warmup_steps", Integer.toString(o.warmupSteps()));
    m.put("weight_decay", Double.toString(o.weightDecay()));
    m.put("clip_grad", Double.toString(o.clipGrad()));
    m.put("batch_size", Integer.toString(o.batchSize()));
    m.put("total_steps", Integer.toString(o.totalSteps()));
    m.put("seed", Long.toString(o.seed()));
    return m;
  }

  static DinoTrainer.Options fromMetadata(Map<String, String> m) throws IOException {
    try {
      VisionTransformer.Config v =
          new VisionTransformer.Config(
              new int[] {i(m, "vit.channels"), i(m, "vit.height"), i(m, "vit.width")},
              i(m, "vit.patch"),
              i(m, "vit.dim"),
              i(m, "vit.depth"),
              i(m, "vit.heads"),
              i(m, "vit.mlp_dim"),
              i(m, "vit.num_classes"),
              d(m, "vit.dropout"),
              dtype(get(m, "vit.dtype")),
              Long.parseLong(get(m, "vit.seed")));
      return new DinoTrainer.Options(
          v,
          i(m, "hidden_dim"),
          i(m, "bottleneck_dim"),
          i(m, "out_dim"),
          i(m, "local_size"),
          i(m, "num_local"),
          d(m, "student_temp"),
          d(m, "teacher_temp_start"),
          d(m, "teacher_temp_end"),
          i(m, "teacher_temp_warmup"),
          d(m, "momentum_base"),
          d(m, "center_momentum"),
          d(m, "learning_rate"),
          d(m, "min_learning_rate"),
          i(m, "warmup_steps"),
          d(m, "weight_decay"),
          d(m, "clip_grad"),
          i(m, "batch_size"),
          i(m, "total_steps"),
          Long.parseLong(get(m, "seed")));
    } catch (IllegalArgumentException e) {
      throw new IOException("dino checkpoint: bad options: " + e.getMessage(), e);
    }
  }

  private static DType dtype(String name) {
    for (DType t : DType.values()) {
      if (t.numpyName().equals(name)) {
        return t;
      }
    }
    throw new IllegalArgumentException("unknown dtype " + name);
  }

  private static String get(Map<String, String> m, String key) {
    String s = m.get(key);
    if (s == null) {
      throw new IllegalArgumentException("missing " + key);
    }
    return s;
  }

  private static int i(Map<String, String> m, String key) {
    return Integer.parseInt(get(m, key));
  }

  private static double d(Map<String, String> m, String key) {
    return Double.parseDouble(get(m, key));
  }
}
