// Multi-head attention forward + backward, N=64 S=17 E=64 H=4, float32, self-attention (the shape of
// shared/bench/torch_layers.py); median of 200 timed calls after 300 warm-up calls. Run from the repo root:
// jshell -R--add-modules -Rjdk.incubator.vector --add-modules jdk.incubator.vector --class-path app/target/handgrad.jar scripts/bench/mha_handgrad.jsh
import org.handgrad.nn.functional.*;
import org.handgrad.tensor.*;
import java.util.*;
var rng = new SplittableRandom(0);
Tensor rnd(int... s) { var t = Tensor.zeros(DType.FLOAT32, s); for (int i = 0; i < t.size(); i++) t.setFlat(i, rng.nextGaussian() * 0.1); return t; }
var x = rnd(64, 17, 64);
var p = new Attention.Projections(rnd(64,64), rnd(64), rnd(64,64), rnd(64), rnd(64,64), rnd(64), rnd(64,64), rnd(64));
var dout = rnd(64, 17, 64);
var none = Dropout.DropoutParam.test(1);
double[] times = new double[200];
for (int w = 0; w < 300; w++) { var f = Attention.multiHeadAttentionForward(x, x, x, p, 4, null, none); Attention.multiHeadAttentionBackward(dout, f.cache()); }
for (int r = 0; r < times.length; r++) { long t0 = System.nanoTime(); var f = Attention.multiHeadAttentionForward(x, x, x, p, 4, null, none); var g = Attention.multiHeadAttentionBackward(dout, f.cache()); var dx = g.dquery().add(g.dkey()).add(g.dvalue()); times[r] = (System.nanoTime() - t0) / 1e6; }
Arrays.sort(times);
System.out.printf("handgrad MHA N=64 S=17 E=64 H=4 fwd+bwd float32: median %.2f ms (min %.2f)%n", times[100], times[0]);
/exit
