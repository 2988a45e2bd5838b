package org.handgrad.spark;

import java.io.Serializable;
import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.rdd.RDD;
import org.handgrad.app.train.RunSpec;
import org.handgrad.io.Json;
import org.handgrad.nn.Model;
import org.handgrad.nn.Parameter;
import org.handgrad.optim.GradientComputation;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import scala.collection.Iterator;
import scala.jdk.javaapi.CollectionConverters;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction1;

/**
 * Synchronous data-parallel gradients on Spark, plugged into the Solver's {@link
 * GradientComputation} seam. Each step the driver splits the global batch of B rows into K
 * contiguous shards (sizes {@code floor((k+1)B/K) - floor(kB/K)}), broadcasts the current
 * parameters, and runs one barrier stage of K tasks: task k loads the parameters into its replica
 * of the model, computes the loss and gradient of shard k with the hand-written backward and
 * returns them; the driver waits for all K (the synchronization point) and sums in shard order,
 *
 * <pre>
 *   loss = sum_k (n_k / B) loss_k,   dW = sum_k (n_k / B) dW_k      (k = 0, 1, ..., K-1, in double)
 * </pre>
 *
 * which is the full batch's mean loss and gradient (the regularization term, the same in every
 * shard, is weighted to one copy), and the Solver applies the one update. The order of the sum is
 * fixed by the shard index, so the result does not depend on which task finishes first, and with K
 * = 1 it is bit-identical to a local step. With K &gt; 1 each shard's GEMMs sum over fewer rows, so
 * results differ from the single-process run by float rounding only.
 *
 * <p>Barrier mode gang-schedules the K tasks (all run at once or none: the cluster must have K free
 * task slots) and turns one task's failure into the failure of the whole stage. The tasks do not
 * call {@code BarrierTaskContext.barrier()}: in Spark 4.1 it waits in one-second sleeps, which
 * measured 1.0 s per step, and collecting the K results on the driver already synchronizes.
 *
 * <p>Rather than every worker applying the same update to its own copy of the parameters, the
 * driver applies the one update and workers keep no state between steps (parameters arrive with
 * each step as a broadcast, optimizer state stays on the driver), so they cannot drift apart. A
 * task that fails makes Spark abort the whole barrier stage; the step is then submitted again, up
 * to {@code stepRetries} times, and after that training stops with a {@link StepFailedException}
 * before any update of that step, so the last checkpoint is consistent and {@code --resume}
 * continues from it.
 *
 * <p>Buffers (a model's non-trainable state) travel with the parameters, and after the step the
 * driver keeps, like PyTorch's DistributedDataParallel (whose default broadcasts rank 0's buffers):
 *
 * <ul>
 *   <li><b>random streams</b> (buffers named {@code *rng_state}: dropout masks, augmentation):
 *       shard 0 draws from the driver's stream as a local run would, shard k &gt; 0 from the stream
 *       {@link #shardStream derived} from it and k, so no two shards draw the same masks or crops;
 *       the driver continues with shard 0's stream;
 *   <li><b>float statistics</b> (BatchNorm running means and variances): the row-weighted mean
 *       {@code sum_k (n_k / B) v_k} of the shards' updated values (a buffer that no shard changed
 *       keeps its value exactly);
 *   <li><b>other integer buffers</b> ({@code num_batches_tracked}): shard 0's.
 * </ul>
 *
 * With K = 1 all three are the local run's, bit for bit. With K &gt; 1 a model with BatchNorm
 * normalizes each shard by that shard's statistics (DistributedDataParallel without SyncBatchNorm),
 * and dropout and augmentation draw other random numbers than the single-process run: such a run is
 * deterministic for a given K, but it is not the single-process run up to rounding, as it is for
 * models without buffers.
 */
public final class DataParallelGradients implements GradientComputation {

  /** The step could not be computed; nothing was updated. */
  public static final class StepFailedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    StepFailedException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * Makes a worker task fail (tests): at the given step (counted from 0 in this object), task
   * {@code partition} throws on its first {@code times} stage attempts.
   *
   * @param step step index
   * @param partition the shard whose task fails
   * @param times how many attempts fail
   */
  public record Fault(int step, int partition, int times) implements Serializable {
    private static final long serialVersionUID = 1L;
  }

  /** Bytes and time of the steps so far. */
  public record Stats(int steps, double seconds, long bytesDown, long bytesUp) {}

  private final JavaSparkContext sc;
  private final int workers;
  private final String specJson;
  private final int stepRetries;
  private Fault fault;
  private int step;
  private double seconds;
  private long bytesDown;
  private long bytesUp;

  /**
   * @param sc the Spark context (the driver's)
   * @param workers K, the number of shards and barrier tasks; the cluster must be able to run K
   *     tasks at once
   * @param runSpec the model's run spec as JSON ({@link RunSpec#toMap()}), from which every worker
   *     builds its replica
   * @param stepRetries how many times a failed step is submitted again, &gt;= 0
   */
  public DataParallelGradients(JavaSparkContext sc, int workers, String runSpec, int stepRetries) {
    if (workers < 1) {
      throw new IllegalArgumentException("--workers must be >= 1, got " + workers);
    }
    if (stepRetries < 0) {
      throw new IllegalArgumentException("--step-retries must be >= 0, got " + stepRetries);
    }
    this.sc = sc;
    this.workers = workers;
    this.specJson = runSpec;
    this.stepRetries = stepRetries;
  }

  /** Injects a worker failure (tests); returns this. */
  public DataParallelGradients withFault(Fault f) {
    this.fault = f;
    return this;
  }

  /** K. */
  public int workers() {
    return workers;
  }

  /** What the steps so far cost. */
  public Stats stats() {
    return new Stats(step, seconds, bytesDown, bytesUp);
  }

  /**
   * How a model's buffers are kept across shards, for the start-up message: empty for a model
   * without buffers.
   */
  public static String describeBuffers(Model model) {
    Map<String, Tensor> buffers = model.buffers();
    if (buffers.isEmpty()) {
      return "";
    }
    List<String> streams = new ArrayList<>();
    List<String> stats = new ArrayList<>();
    for (Map.Entry<String, Tensor> e : buffers.entrySet()) {
      if (isStream(e.getKey())) {
        streams.add(e.getKey());
      } else if (e.getValue().dtype() != DType.INT32) {
        stats.add(e.getKey());
      }
    }
    StringBuilder sb = new StringBuilder();
    if (!stats.isEmpty()) {
      sb.append(stats.size())
          .append(" statistics buffers (each shard normalizes by its own batch statistics; the")
          .append(" running values are averaged over shards)");
    }
    if (!streams.isEmpty()) {
      sb.append(sb.length() > 0 ? "; " : "")
          .append("random streams ")
          .append(streams)
          .append(" split per shard");
    }
    return sb.toString();
  }

  @Override
  public double lossAndGradients(Model model, Tensor xBatch, int[] yBatch) {
    long start = System.nanoTime();
    int b = yBatch.length;
    if (b < workers) {
      throw new IllegalArgumentException(
          "data-parallel: a batch of " + b + " cannot be split over " + workers + " workers");
    }
    List<Parameter> params = model.parameters();
    Map<String, Tensor> buffers = model.buffers();
    StepValues values = new StepValues(ParamValues.of(params), BufferValues.of(buffers));
    Tensor x = xBatch.contiguous();
    List<Shard> shards = new ArrayList<>();
    for (int k = 0; k < workers; k++) {
      int from = (int) ((long) k * b / workers);
      int to = (int) ((long) (k + 1) * b / workers);
      shards.add(Shard.of(k, x, yBatch, from, to));
    }
    int thisStep = step++;
    List<ShardResult> results = null;
    Exception last = null; // SparkException is checked (thrown from Scala)
    for (int attempt = 0; attempt <= stepRetries && results == null; attempt++) {
      Broadcast<StepValues> bc = sc.broadcast(values);
      try {
        sc.setJobDescription("handgrad data-parallel step " + (thisStep + 1));
        results = runStage(shards, bc, thisStep, attempt);
      } catch (Exception e) {
        last = e;
      } finally {
        bc.destroy();
      }
    }
    if (results == null) {
      throw new StepFailedException(
          "data-parallel step "
              + (thisStep + 1)
              + " failed "
              + (stepRetries + 1)
              + " time(s) (a worker task was lost or threw: "
              + rootMessage(last)
              + "); no update was applied, so the parameters and the last checkpoint are"
              + " consistent; resume with './handgrad train --resume RUN --spark'",
          last);
    }
    results = new ArrayList<>(results);
    results.sort((p, q) -> Integer.compare(p.shard(), q.shard()));
    double loss = 0;
    double[][] sums = new double[params.size()][];
    for (int i = 0; i < params.size(); i++) {
      sums[i] = new double[params.get(i).size()];
    }
    for (ShardResult r : results) {
      double w = (double) r.rows() / b;
      loss += w * r.loss();
      for (int i = 0; i < params.size(); i++) {
        r.grads().addScaledTo(i, w, sums[i]);
      }
      bytesUp += r.grads().bytes();
    }
    for (int i = 0; i < params.size(); i++) {
      Parameter p = params.get(i);
      p.zeroGrad();
      p.accumulateGrad(ParamValues.tensor(sums[i], p.dtype(), p.shape()));
    }
    mergeBuffers(buffers, results, b);
    for (ShardResult r : results) {
      bytesUp += r.buffers().bytes();
    }
    bytesDown += (long) workers * values.bytes() + (long) x.size() * x.dtype().bytes();
    seconds += (System.nanoTime() - start) * 1e-9;
    return loss;
  }

  /**
   * The driver's buffers after a step, from the shards' (sorted by shard): random streams and
   * integer buffers from shard 0, float statistics as the row-weighted mean.
   */
  static void mergeBuffers(Map<String, Tensor> live, List<ShardResult> sorted, int b) {
    int i = 0;
    for (Map.Entry<String, Tensor> e : live.entrySet()) {
      Object first = sorted.get(0).buffers().arrays().get(i);
      Object merged = first;
      if (!isStream(e.getKey()) && !(first instanceof int[]) && !allEqual(sorted, i)) {
        double[] sum = new double[Array.getLength(first)];
        for (ShardResult r : sorted) {
          double w = (double) r.rows() / b;
          Object v = r.buffers().arrays().get(i);
          for (int j = 0; j < sum.length; j++) {
            sum[j] += w * Array.getDouble(v, j);
          }
        }
        merged = sum;
        if (e.getValue().dtype() == DType.FLOAT32) {
          float[] f = new float[sum.length];
          for (int j = 0; j < f.length; j++) {
            f[j] = (float) sum[j];
          }
          merged = f;
        }
      }
      BufferValues.copyInto(merged, e.getValue(), e.getKey());
      i++;
    }
  }

  private static boolean allEqual(List<ShardResult> sorted, int i) {
    Object first = sorted.get(0).buffers().arrays().get(i);
    for (ShardResult r : sorted) {
      if (!java.util.Objects.deepEquals(first, r.buffers().arrays().get(i))) {
        return false;
      }
    }
    return true;
  }

  /** A random-stream buffer: dropout's and augmentation's {@code rng_state}. */
  static boolean isStream(String name) {
    return name.equals("rng_state") || name.endsWith(".rng_state");
  }

  /**
   * The stream of shard k &gt; 0, derived from the driver's stream state: every int32 word is
   * replaced by a SplitMix64 finalization of (word, k, position), so streams of different shards
   * (and steps, as the driver's state advances) are unrelated, and the result is the same on any
   * executor.
   *
   * @param state the driver's int32 state words
   * @param shard k &gt;= 1
   * @return the shard's state words, as many as given
   */
  static int[] shardStream(int[] state, int shard) {
    int[] out = new int[state.length];
    for (int i = 0; i < state.length; i++) {
      long z = (state[i] & 0xFFFFFFFFL) ^ ((long) shard << 32) ^ ((long) i << 48);
      z += 0x9E3779B97F4A7C15L;
      z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
      z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
      out[i] = (int) (z ^ (z >>> 31));
    }
    return out;
  }

  private List<ShardResult> runStage(
      List<Shard> shards, Broadcast<StepValues> bc, int thisStep, int attempt) {
    ClassTag<ShardResult> tag = ClassTag$.MODULE$.apply(ShardResult.class);
    RDD<ShardResult> rdd =
        sc.parallelize(shards, workers)
            .rdd()
            .barrier()
            .mapPartitions(new WorkerStep(specJson, bc, fault, thisStep, attempt), false, tag);
    List<ShardResult> out = JavaRDD.fromRDD(rdd, tag).collect();
    if (out.size() != workers) {
      throw new IllegalStateException(
          "data-parallel: expected " + workers + " shard results, got " + out.size());
    }
    return out;
  }

  private static String rootMessage(Throwable t) {
    if (t == null) {
      return "unknown";
    }
    String m = t.getMessage();
    if (m != null && m.length() > 400) {
      m = m.substring(0, 400) + "...";
    }
    return t.getClass().getSimpleName() + ": " + m;
  }

  // ---------------------------------------------------------------- what travels

  /** Parameter values or gradients as flat arrays, in parameter order. */
  record ParamValues(List<float[]> floats, List<double[]> doubles) implements Serializable {
    private static final long serialVersionUID = 1L;

    static ParamValues of(List<Parameter> params) {
      List<float[]> f = new ArrayList<>();
      List<double[]> d = new ArrayList<>();
      for (Parameter p : params) {
        add(p.value(), f, d);
      }
      return new ParamValues(f, d);
    }

    static ParamValues grads(List<Parameter> params) {
      List<float[]> f = new ArrayList<>();
      List<double[]> d = new ArrayList<>();
      for (Parameter p : params) {
        add(p.grad(), f, d);
      }
      return new ParamValues(f, d);
    }

    private static void add(Tensor t, List<float[]> f, List<double[]> d) {
      Tensor c = t.contiguous();
      int n = c.size();
      if (c.dtype() == DType.FLOAT32) {
        f.add(Arrays.copyOfRange(c.floatStorage(), c.offset(), c.offset() + n));
        d.add(null);
      } else {
        f.add(null);
        d.add(Arrays.copyOfRange(c.doubleStorage(), c.offset(), c.offset() + n));
      }
    }

    Tensor tensor(int i, int[] shape) {
      return floats.get(i) != null
          ? Tensor.of(floats.get(i), shape)
          : Tensor.of(doubles.get(i), shape);
    }

    void addScaledTo(int i, double w, double[] sum) {
      if (floats.get(i) != null) {
        float[] g = floats.get(i);
        for (int j = 0; j < g.length; j++) {
          sum[j] += w * g[j];
        }
      } else {
        double[] g = doubles.get(i);
        for (int j = 0; j < g.length; j++) {
          sum[j] += w * g[j];
        }
      }
    }

    long bytes() {
      long n = 0;
      for (int i = 0; i < floats.size(); i++) {
        n += floats.get(i) != null ? 4L * floats.get(i).length : 8L * doubles.get(i).length;
      }
      return n;
    }

    static Tensor tensor(double[] sum, DType dtype, int[] shape) {
      if (dtype == DType.FLOAT64) {
        return Tensor.of(sum, shape);
      }
      float[] f = new float[sum.length];
      for (int j = 0; j < f.length; j++) {
        f[j] = (float) sum[j];
      }
      return Tensor.of(f, shape);
    }
  }

  /** Rows [from, to) of the batch. */
  record Shard(int index, int[] shape, float[] floats, double[] doubles, int[] labels)
      implements Serializable {
    private static final long serialVersionUID = 1L;

    static Shard of(int index, Tensor x, int[] y, int from, int to) {
      int[] shape = x.shape();
      int row = x.size() / shape[0];
      shape[0] = to - from;
      int off = x.offset() + from * row;
      int n = (to - from) * row;
      float[] f = null;
      double[] d = null;
      if (x.dtype() == DType.FLOAT32) {
        f = Arrays.copyOfRange(x.floatStorage(), off, off + n);
      } else if (x.dtype() == DType.FLOAT64) {
        d = Arrays.copyOfRange(x.doubleStorage(), off, off + n);
      } else {
        throw new IllegalArgumentException("data-parallel: float inputs only, got " + x.dtype());
      }
      return new Shard(index, shape, f, d, Arrays.copyOfRange(y, from, to));
    }

    Tensor x() {
      return floats != null ? Tensor.of(floats, shape) : Tensor.of(doubles, shape);
    }
  }

  /**
   * Buffer values as flat arrays (float[], double[] or int[]), in the order of {@link
   * Model#buffers()}.
   */
  record BufferValues(List<Object> arrays) implements Serializable {
    private static final long serialVersionUID = 1L;

    static BufferValues of(Map<String, Tensor> buffers) {
      List<Object> a = new ArrayList<>();
      for (Tensor t : buffers.values()) {
        Tensor c = t.contiguous();
        int from = c.offset();
        int to = from + c.size();
        a.add(
            switch (c.dtype()) {
              case FLOAT32 -> Arrays.copyOfRange(c.floatStorage(), from, to);
              case FLOAT64 -> Arrays.copyOfRange(c.doubleStorage(), from, to);
              case INT32 -> Arrays.copyOfRange(c.intStorage(), from, to);
            });
      }
      return new BufferValues(a);
    }

    /** Copies every array into the live buffer of the same position. */
    void loadInto(Map<String, Tensor> live) {
      int i = 0;
      for (Map.Entry<String, Tensor> e : live.entrySet()) {
        copyInto(arrays.get(i++), e.getValue(), e.getKey());
      }
    }

    static void copyInto(Object values, Tensor live, String name) {
      if (!live.isContiguous() || Array.getLength(values) != live.size()) {
        throw new IllegalStateException(
            "data-parallel: buffer " + name + " " + live.shapeString() + " cannot be restored");
      }
      Object storage =
          switch (live.dtype()) {
            case FLOAT32 -> live.floatStorage();
            case FLOAT64 -> live.doubleStorage();
            case INT32 -> live.intStorage();
          };
      System.arraycopy(values, 0, storage, live.offset(), live.size());
    }

    long bytes() {
      long n = 0;
      for (Object a : arrays) {
        n += (a instanceof double[] ? 8L : 4L) * Array.getLength(a);
      }
      return n;
    }
  }

  /** What the driver sends each step: parameters and buffers. */
  record StepValues(ParamValues params, BufferValues buffers) implements Serializable {
    private static final long serialVersionUID = 1L;

    long bytes() {
      return params.bytes() + buffers.bytes();
    }
  }

  /** One task's answer: its loss, gradients and buffers after the step. */
  record ShardResult(int shard, int rows, double loss, ParamValues grads, BufferValues buffers)
      implements Serializable {
    private static final long serialVersionUID = 1L;
  }

  // ---------------------------------------------------------------- the worker

  /**
   * One shard's step on a replica: load the driver's parameters and buffers, give shard k &gt; 0
   * its own random streams, run the hand-written forward and backward.
   */
  static ShardResult step(Model model, StepValues v, Shard s) {
    List<Parameter> ps = model.parameters();
    for (int i = 0; i < ps.size(); i++) {
      ps.get(i).assign(v.params().tensor(i, ps.get(i).shape()));
    }
    Map<String, Tensor> live = model.buffers();
    v.buffers().loadInto(live);
    if (s.index() > 0) {
      for (Map.Entry<String, Tensor> e : live.entrySet()) {
        if (isStream(e.getKey())) {
          int[] words = e.getValue().contiguous().toIntArray();
          BufferValues.copyInto(shardStream(words, s.index()), e.getValue(), e.getKey());
        }
      }
    }
    double loss = model.loss(s.x(), s.labels());
    return new ShardResult(
        s.index(), s.labels().length, loss, ParamValues.grads(ps), BufferValues.of(live));
  }

  /** Model replicas of this JVM by run spec; a task borrows one (tasks may run side by side). */
  private static final Map<String, ConcurrentLinkedQueue<Model>> REPLICAS =
      new ConcurrentHashMap<>();

  static final class WorkerStep extends AbstractFunction1<Iterator<Shard>, Iterator<ShardResult>>
      implements Serializable {
    private static final long serialVersionUID = 1L;

    private final String specJson;
    private final Broadcast<StepValues> params;
    private final Fault fault;
    private final int step;
    private final int attempt;

    WorkerStep(String specJson, Broadcast<StepValues> params, Fault fault, int step, int attempt) {
      this.specJson = specJson;
      this.params = params;
      this.fault = fault;
      this.step = step;
      this.attempt = attempt;
    }

    @Override
    public Iterator<ShardResult> apply(Iterator<Shard> it) {
      BarrierTaskContext ctx = BarrierTaskContext.get();
      List<ShardResult> out = new ArrayList<>();
      while (it.hasNext()) {
        Shard s = it.next();
        if (fault != null
            && fault.step() == step
            && fault.partition() == s.index()
            && attempt + ctx.stageAttemptNumber() < fault.times()) {
          throw new IllegalStateException(
              "injected failure of worker " + s.index() + " at step " + (step + 1));
        }
        out.add(compute(s));
      }
      // No ctx.barrier() here: in Spark 4.1 it waits in 1-second sleeps, measured at 1.0 s per
      // step. The stage is still gang-scheduled and fails as a whole; the driver's collect of all
      // K results is the synchronization point.
      return CollectionConverters.asScala(out.iterator());
    }

    private ShardResult compute(Shard s) {
      ConcurrentLinkedQueue<Model> pool =
          REPLICAS.computeIfAbsent(specJson, k -> new ConcurrentLinkedQueue<>());
      Model model = pool.poll();
      if (model == null) {
        model = RunSpec.fromMap((Map<?, ?>) Json.parse(specJson)).buildModel();
      }
      try {
        return step(model, params.value(), s);
      } finally {
        pool.add(model);
      }
    }
  }
}
