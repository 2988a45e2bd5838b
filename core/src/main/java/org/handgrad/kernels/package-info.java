/**
 * Compute kernels on raw arrays: GEMM, im2col/col2im, pooling, normalization planes/rows/columns,
 * recurrent cells, upsampling, float32 activations ({@link org.handgrad.kernels.ActivationKernels},
 * with the float32 exp/tanh/erfc of {@code FloatMath}) and the row softmax ({@link
 * org.handgrad.kernels.RowOps#ssoftmax}). The only package allowed to use the incubator Vector API.
 *
 * <h2>Conventions</h2>
 *
 * <ul>
 *   <li>Kernels never see a Tensor: arrays, offsets, strides and sizes, outputs first (see {@link
 *       org.handgrad.kernels.Gemm#sgemm}). Arguments are checked once per call at the public entry,
 *       O(1), with messages naming the op, the operand and the sizes.
 *   <li>Every vector kernel has a plain-Java scalar twin: the reference for tests and the fallback.
 *       Kernels call {@link org.handgrad.kernels.Kernels#useVector()} once per call to choose;
 *       {@link org.handgrad.kernels.Kernels#forceScalar(boolean)} or {@code
 *       -Dhandgrad.kernels.scalar=true} forces the twins everywhere.
 *   <li>Classes that import {@code jdk.incubator.vector} are only reached after {@code useVector()}
 *       returned true, so a JVM started without {@code --add-modules jdk.incubator.vector} never
 *       loads them and runs the twins instead.
 *   <li>Threads come from {@link org.handgrad.kernels.Parallel} only, with chunkings that depend on
 *       the problem, not on the thread count, so results are the same for any thread count.
 * </ul>
 *
 * <h2>Writing a vector kernel that C2 compiles well (JDK 17 to 25)</h2>
 *
 * <ul>
 *   <li>Never pass a vector to, or return one from, a method C2 might not inline: the vector is
 *       then boxed, and a boxed loop-carried accumulator allocates on every iteration (measured 10x
 *       slower). Large methods hit C2's node-count inlining cutoff, so spill results through a
 *       small array instead (see {@code SgemmVector.kernel}).
 *   <li>Keep array indices in the hot loop of the form {@code base + i * 2^s + const}: C2's
 *       range-check elimination recognises a loop index times a power of two, but rewrites {@code i
 *       * 5} or {@code i * 6} as shifts and adds it no longer recognises, leaving a bounds check
 *       per load in the loop. Pad strides to a power of two when needed.
 *   <li>Count vector registers: AVX2 has 16. C2 may hoist loads and keep more values live than the
 *       source suggests; beyond 16 it spills to the stack inside the loop. Measure the kernel alone
 *       and, when in doubt, read the generated code ({@code -XX:CompileCommand=print,...} with the
 *       hsdis plugin, Debian package {@code libhsdis0-fcml}).
 *   <li>Count inlining too: C2 inlines a loop body into one compilation with a budget, and every
 *       Vector API call brings several library levels, so a body with two or three transcendental
 *       functions runs out of it and leaves vector helpers out of line, boxed. Split such work into
 *       passes that take arrays only, one transcendental each, through small scratch arrays (see
 *       {@code ElementwiseVector}). Check with {@code ThreadMXBean.getThreadAllocatedBytes}: a
 *       boxing kernel allocates megabytes per call.
 *   <li>Horizontal reductions ({@code reduceLanes(ADD)}) may sum in a different order in the
 *       interpreter and in compiled code; reduce by hand in a fixed order where results must not
 *       depend on JIT timing.
 * </ul>
 */
package org.handgrad.kernels;
