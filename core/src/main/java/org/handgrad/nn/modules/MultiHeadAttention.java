package org.handgrad.nn.modules;

import java.util.Objects;
import java.util.random.RandomGenerator;
import org.handgrad.nn.functional.Attention;
import org.handgrad.nn.functional.Forward;
import org.handgrad.nn.graph.Tape;
import org.handgrad.nn.graph.TapeModule;
import org.handgrad.nn.graph.Var;
import org.handgrad.nn.init.WeightInit;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * Multi-head attention, CS231n's {@code MultiHeadAttention(embed_dim, num_heads, dropout)} over
 * {@link Attention#multiHeadAttentionForward}: children {@code query}, {@code key}, {@code value}
 * and {@code proj} ({@link Linear}, E to E, CS231n's names) and {@code attn_drop}, the dropout of
 * the attention weights.
 *
 * <p><b>dropout is the DROP probability here</b>, as in CS231n's transformer code and PyTorch
 * ({@code nn.MultiheadAttention(dropout=0.1)}); handgrad's {@link Dropout} takes the keep
 * probability, so {@code attn_drop} keeps 1 - dropout.
 *
 * <p>Shapes: query (N, S, E), key and value (N, T, E), mask (S, T) with 0 = not allowed, out (N, S,
 * E). As a plain module ({@link #forward(Tensor)}) it is unmasked self-attention. The weights of
 * the last forward pass stay readable ({@link #lastAttention()}) for attention maps.
 */
public final class MultiHeadAttention extends TapeModule {
  private final int embedDim;
  private final int numHeads;
  private final double dropout;
  private final Linear query;
  private final Linear key;
  private final Linear value;
  private final Linear proj;
  private final Dropout attnDrop;
  private Tensor lastAttention;

  /**
   * Attention with PyTorch's default initialization of its linear layers (as CS231n's).
   *
   * @param embedDim E
   * @param numHeads H, dividing E
   * @param dropout DROP probability of the attention weights, in [0, 1)
   * @param dtype float32 or float64
   * @param rng draws the weights of query, key, value and proj in that order
   * @param seed seeds the dropout masks
   * @throws IllegalArgumentException when E is not divisible by H, or dropout is outside [0, 1)
   */
  public MultiHeadAttention(
      int embedDim, int numHeads, double dropout, DType dtype, RandomGenerator rng, long seed) {
    this(embedDim, numHeads, dropout, dtype, WeightInit.pytorch(), rng, seed);
  }

  /**
   * Attention with an explicit initializer for the four linear layers.
   *
   * @param init weight and bias initializer of query, key, value and proj
   */
  public MultiHeadAttention(
      int embedDim,
      int numHeads,
      double dropout,
      DType dtype,
      WeightInit init,
      RandomGenerator rng,
      long seed) {
    ModuleArgs.positive("MultiHeadAttention", "embedDim", embedDim);
    ModuleArgs.positive("MultiHeadAttention", "numHeads", numHeads);
    if (embedDim % numHeads != 0) {
      throw new IllegalArgumentException(
          "MultiHeadAttention: embed_dim E="
              + embedDim
              + " is not divisible by num_heads H="
              + numHeads);
    }
    this.embedDim = embedDim;
    this.numHeads = numHeads;
    this.dropout = dropProbability("MultiHeadAttention", dropout);
    query = registerModule("query", new Linear(embedDim, embedDim, true, dtype, init, rng));
    key = registerModule("key", new Linear(embedDim, embedDim, true, dtype, init, rng));
    value = registerModule("value", new Linear(embedDim, embedDim, true, dtype, init, rng));
    proj = registerModule("proj", new Linear(embedDim, embedDim, true, dtype, init, rng));
    attnDrop = registerModule("attn_drop", new Dropout(1 - dropout, seed));
  }

  /**
   * Checks a DROP probability (CS231n / PyTorch convention).
   *
   * @return the probability
   * @throws IllegalArgumentException outside [0, 1)
   */
  static double dropProbability(String kind, double dropout) {
    if (!(dropout >= 0 && dropout < 1)) {
      throw new IllegalArgumentException(
          kind
              + ": dropout must be in [0, 1), got "
              + dropout
              + " (the DROP probability, as in CS231n's transformer and PyTorch)");
    }
    return dropout;
  }

  /** The query projection. */
  public Linear query() {
    return query;
  }

  /** The key projection. */
  public Linear key() {
    return key;
  }

  /** The value projection. */
  public Linear value() {
    return value;
  }

  /** The output projection. */
  public Linear proj() {
    return proj;
  }

  /** H. */
  public int numHeads() {
    return numHeads;
  }

  /**
   * The attention weights of the last forward pass (before dropout), shape (N, H, S, T), or null
   * before the first.
   */
  public Tensor lastAttention() {
    return lastAttention;
  }

  /**
   * Unmasked self-attention: query = key = value = x.
   *
   * @param x shape (N, S, E)
   * @return out, shape (N, S, E)
   */
  @Override
  public Var forward(Tape tape, Var x) {
    return forward(tape, x, x, x, null);
  }

  /**
   * Records attention on the tape. Passing one Var as several of query, key and value is the point:
   * the tape adds their gradients.
   *
   * @param q query, shape (N, S, E)
   * @param k key, shape (N, T, E)
   * @param v value, shape (N, T, E)
   * @param mask null or (S, T), 0 = query i may not attend to key j
   * @return out, shape (N, S, E)
   */
  public Var forward(Tape tape, Var q, Var k, Var v, Tensor mask) {
    Objects.requireNonNull(tape, "tape");
    Attention.Projections w =
        new Attention.Projections(
            query.weight().value(),
            bias(query),
            key.weight().value(),
            bias(key),
            value.weight().value(),
            bias(value),
            proj.weight().value(),
            bias(proj));
    Forward<Attention.MhaCache> f =
        Attention.multiHeadAttentionForward(
            q.value(), k.value(), v.value(), w, numHeads, mask, attnDrop.nextParam());
    lastAttention = f.cache().attention().attn();
    return tape.record(
        "MultiHeadAttention",
        f.out(),
        dout -> {
          Attention.MhaGrads g = Attention.multiHeadAttentionBackward(dout, f.cache());
          accumulate(query, g.dwq(), g.dbq());
          accumulate(key, g.dwk(), g.dbk());
          accumulate(value, g.dwv(), g.dbv());
          accumulate(proj, g.dwo(), g.dbo());
          return new Tensor[] {g.dquery(), g.dkey(), g.dvalue()};
        },
        q,
        k,
        v);
  }

  private static Tensor bias(Linear l) {
    return l.bias().orElseThrow().value();
  }

  private static void accumulate(Linear l, Tensor dw, Tensor db) {
    l.weight().accumulateGrad(dw);
    l.bias().orElseThrow().accumulateGrad(db);
  }

  @Override
  protected String extraRepr() {
    return "embed_dim=" + embedDim + ", num_heads=" + numHeads + ", dropout=" + dropout + " (drop)";
  }
}
