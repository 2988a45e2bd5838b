package org.handgrad.tensor;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Random;
import java.util.function.Supplier;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/**
 * Random (often invalid) arguments to every public op (sizes that are merely too large to allocate
 * are left out): the only exceptions allowed out are IllegalArgumentException and
 * IndexOutOfBoundsException, never an ArrayIndexOutOfBoundsException or other internal failure, and
 * each message starts with the op's name.
 */
class ErrorsTest {
  private static int anyAxis(Random r) {
    return r.nextInt(11) - 5;
  }

  private static int anyInt(Random r) {
    int[] special = {Integer.MIN_VALUE, Integer.MAX_VALUE, -1, 0, 1};
    return r.nextInt(4) == 0 ? special[r.nextInt(special.length)] : r.nextInt(13) - 6;
  }

  private static int[] anyInts(Random r) {
    int[] a = new int[r.nextInt(4)];
    for (int i = 0; i < a.length; i++) {
      a[i] = anyInt(r);
    }
    return a;
  }

  private static int[] smallShape(Random r) {
    int[] s = new int[r.nextInt(4)];
    for (int i = 0; i < s.length; i++) {
      s[i] = r.nextInt(4);
    }
    return s;
  }

  @Property(tries = 3000)
  void invalidArgumentsGiveNamedErrors(@ForAll long seed) {
    Random r = new Random(seed);
    Tensor x = Gen.tensor(r, Gen.pick(r, Gen.ALL), Gen.shape(r, 3));
    Tensor y = Gen.tensor(r, Gen.pick(r, Gen.ALL), Gen.shape(r, 3));
    int[] ia = anyInts(r);
    Tensor idx = r.nextBoolean() ? Tensor.of(ia, ia.length) : Tensor.of(ia, ia.length, 1);
    int op = r.nextInt(34);
    Supplier<Object> call =
        switch (op) {
          case 0 -> () -> x.permute(anyInts(r));
          case 1 -> () -> x.slice(anyAxis(r), anyInt(r), anyInt(r), anyInt(r));
          case 2 -> () -> x.squeeze(anyAxis(r));
          case 3 -> () -> x.unsqueeze(anyAxis(r));
          case 4 -> () -> x.broadcastTo(anyInts(r));
          case 5 -> () -> x.reshape(anyInts(r));
          case 6 -> () -> x.add(y);
          case 7 -> () -> x.matmul(y);
          case 8 -> () -> x.sum(anyAxis(r));
          case 9 -> () -> x.max(anyInts(r), r.nextBoolean());
          case 10 -> () -> x.argmax(anyAxis(r));
          case 11 -> () -> x.take(anyAxis(r), anyInts(r));
          case 12 -> () -> x.takeAlongAxis(idx, anyAxis(r));
          case 13 -> () -> x.pick(anyInts(r));
          case 14 -> () -> Tensor.oneHot(anyInts(r), r.nextInt(9) - 3);
          case 15 -> () -> x.maskedSelect(y);
          case 16 -> () -> x.maskedFill(y, 1);
          case 17 -> () -> Tensor.concatenate(anyAxis(r), x, y);
          case 18 -> () -> Tensor.stack(anyAxis(r), x, y);
          case 19 -> () -> x.split(anyAxis(r), anyInt(r));
          case 20 -> () -> x.splitSizes(anyAxis(r), anyInts(r));
          case 21 -> () -> x.pad(new int[][] {anyInts(r), anyInts(r)}, 0);
          case 22 -> () -> x.get(anyInts(r));
          case 23 -> () -> x.select(anyAxis(r), anyInt(r));
          case 24 -> () -> x.scatterAddi(anyAxis(r), idx, y);
          case 25 -> () -> x.addi(y);
          case 26 -> () -> x.copyFrom(y);
          case 27 -> () -> Tensor.where(x, y, x);
          case 28 -> () -> x.var(anyInts(r), false, anyInt(r));
          case 29 -> () -> x.transpose(anyAxis(r), anyAxis(r));
          case 30 -> () -> Tensor.zeros(smallShape(r)).dot(Tensor.zeros(smallShape(r)));
          case 31 ->
              () -> x.slice(Slice.of(anyInt(r), anyInt(r)), Slice.all(), Slice.all(), Slice.all());
          case 32 ->
              () -> new Rng(seed).choice(r.nextInt(9) - 3, r.nextInt(9) - 3, r.nextBoolean());
          default -> () -> x.shape(anyAxis(r));
        };
    try {
      call.get();
    } catch (ArrayIndexOutOfBoundsException e) {
      fail("op " + op + " leaked " + e, e);
    } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
      assertTrue(
          e.getMessage() != null && e.getMessage().matches("^[A-Za-z.]+: .*"),
          "op " + op + " message should start with the op name: " + e.getMessage());
      assertFalse(
          e.getMessage().contains("Index ") && e.getMessage().contains("out of bounds for length"),
          "raw array message: " + e.getMessage());
    } catch (RuntimeException e) {
      fail("op " + op + " threw " + e, e);
    }
  }
}
