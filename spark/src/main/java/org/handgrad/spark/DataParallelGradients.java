package org.handgrad.spark;

import java.io.Serializable;
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
 * <p>Models with buffers (BatchNorm running statistics, dropout or augmentation random streams) are
 * refused: their training-mode state is per process and would need to be synchronized too.
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
   * Refuses a model whose training state is not all in its parameters.
   *
   * @throws IllegalArgumentException naming the buffers
   */
  public static void checkSupported(Model model) {
    if (!model.buffers().isEmpty()) {
      throw new IllegalArgumentException(
          "--spark: data-parallel training needs a model without buffers (BatchNorm statistics,"
              + " dropout or augmentation streams are per process); this one has "
              + model.buffers().keySet());
    }
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
    ParamValues values = ParamValues.of(params);
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
      Broadcast<ParamValues> bc = sc.broadcast(values);
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
    bytesDown += (long) workers * values.bytes() + (long) x.size() * x.dtype().bytes();
    seconds += (System.nanoTime() - start) * 1e-9;
    return loss;
  }

  private List<ShardResult> runStage(
      List<Shard> shards, Broadcast<ParamValues> bc, int thisStep, int attempt) {
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

  /** One task's answer. */
  record ShardResult(int shard, int rows, double loss, ParamValues grads) implements Serializable {
    private static final long serialVersionUID = 1L;
  }

  // ---------------------------------------------------------------- the worker

  /** Model replicas of this JVM by run spec; a task borrows one (tasks may run side by side). */
  private static final Map<String, ConcurrentLinkedQueue<Model>> REPLICAS =
      new ConcurrentHashMap<>();

  static final class WorkerStep extends AbstractFunction1<Iterator<Shard>, Iterator<ShardResult>>
      implements Serializable {
    private static final long serialVersionUID = 1L;

    private final String specJson;
    private final Broadcast<ParamValues> params;
    private final Fault fault;
    private final int step;
    private final int attempt;

    WorkerStep(String specJson, Broadcast<ParamValues> params, Fault fault, int step, int attempt) {
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
        ParamValues v = params.value();
        List<Parameter> ps = model.parameters();
        for (int i = 0; i < ps.size(); i++) {
          ps.get(i).assign(v.tensor(i, ps.get(i).shape()));
        }
        double loss = model.loss(s.x(), s.labels());
        return new ShardResult(s.index(), s.labels().length, loss, ParamValues.grads(ps));
      } finally {
        pool.add(model);
      }
    }
  }
}
