package org.handgrad.nn.functional;

import static org.handgrad.nn.functional.ConvTesting.assertClose;
import static org.handgrad.nn.functional.ConvTesting.randn;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The sandwiches equal the composition of their parts, forward and backward. */
class ConvReluTest {
  private final Tensor x = randn(41, DType.FLOAT64, 2, 3, 8, 8);
  private final Tensor w = randn(42, DType.FLOAT64, 4, 3, 3, 3);
  private final Tensor b = randn(43, DType.FLOAT64, 4);
  private final ConvParam p = new ConvParam(1, 1);

  /** max(0, a) and dout * (a > 0) by hand, element by element. */
  private static Tensor relu(Tensor a) {
    Tensor r = a.copy();
    for (int i = 0; i < r.size(); i++) {
      r.setFlat(i, Math.max(0, a.getFlat(i)));
    }
    return r;
  }

  private static Tensor mask(Tensor dout, Tensor a) {
    Tensor r = dout.copy();
    for (int i = 0; i < r.size(); i++) {
      r.setFlat(i, a.getFlat(i) > 0 ? dout.getFlat(i) : 0);
    }
    return r;
  }

  @Test
  void convReluIsConvThenRelu() {
    Forward<ConvRelu.Cache> f = ConvRelu.convReluForward(x, w, b, p);
    Tensor a = Conv.convForward(x, w, b, p).out();
    assertClose("out", f.out(), relu(a), 1e-15);
    Tensor dout = randn(44, DType.FLOAT64, a.shape());
    Conv.Grads g = ConvRelu.convReluBackward(dout, f.cache());
    Conv.Grads ref = Conv.convBackwardNaive(mask(dout, a), Conv.convForward(x, w, b, p).cache());
    assertClose("dx", g.dx(), ref.dx(), 1e-10);
    assertClose("dw", g.dw(), ref.dw(), 1e-10);
    assertClose("db", g.db(), ref.db(), 1e-10);
  }

  @Test
  void convReluPoolIsConvThenReluThenMaxPool() {
    PoolParam q = PoolParam.twoByTwo();
    Forward<ConvReluPool.Cache> f = ConvReluPool.convReluPoolForward(x, w, b, p, q);
    Tensor a = Conv.convForward(x, w, b, p).out();
    Forward<Pool.Cache> pool = Pool.maxPoolForwardNaive(relu(a), q);
    assertClose("out", f.out(), pool.out(), 1e-15);
    Tensor dout = randn(45, DType.FLOAT64, f.out().shape());
    Conv.Grads g = ConvReluPool.convReluPoolBackward(dout, f.cache());
    Tensor ds = Pool.maxPoolBackwardNaive(dout, pool.cache()).dx();
    Conv.Grads ref = Conv.convBackwardNaive(mask(ds, a), Conv.convForward(x, w, b, p).cache());
    assertClose("dx", g.dx(), ref.dx(), 1e-10);
    assertClose("dw", g.dw(), ref.dw(), 1e-10);
    assertClose("db", g.db(), ref.db(), 1e-10);
  }

  @Test
  void float32StaysFloat32() {
    Tensor out =
        ConvReluPool.convReluPoolForward(
                x.to(DType.FLOAT32),
                w.to(DType.FLOAT32),
                b.to(DType.FLOAT32),
                p,
                PoolParam.twoByTwo())
            .out();
    assertEquals(DType.FLOAT32, out.dtype());
  }
}
