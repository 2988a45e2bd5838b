"""Keep the memory PyTorch frees inside the process, so that its steps do not pay page faults.

glibc's malloc serves every block above its mmap threshold (128 KiB at first, growing up to
32 MiB) with a fresh mmap and gives it back to the kernel when it is freed, and it trims the top of
the heap above 128 KiB. PyTorch frees its activations, gradients and oneDNN reorder buffers after
every step and allocates them again in the next, so every step touches new pages. On the KVM
machines of this project a fault is expensive: on 2026-12-08 (AMD EPYC, Zen 5), a 3x3
convolution 32 -> 32 on x (64, 32, 28, 28), forward and backward, took about 70 ms with glibc's
defaults and 11 ms with this setting, and the reference U-Net's training step 628-696 ms against
351-354 ms (docs/performance.md, "PyTorch's page faults"). handgrad's JVM keeps its heap, so
comparing against PyTorch without this flatters handgrad.

keep_freed_memory() sets the mmap threshold to 32 MiB (glibc's largest) and the trim threshold and
top pad high, through mallopt, the same as running with
  MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=1073741824 MALLOC_TOP_PAD_=268435456
(the form to use for scripts that do not call this, such as ../shared/bench/*.py). What tcmalloc
or a tuned jemalloc would do for a deployment, without a library to preload. Every twin script
in this folder calls it first thing; HANDGRAD_TORCH_GLIBC_MALLOC=1 keeps glibc's defaults, to
measure what the faults cost.
"""
import ctypes
import os
import sys

_M_TRIM_THRESHOLD = -1
_M_TOP_PAD = -2
_M_MMAP_THRESHOLD = -3
_mode = None


def keep_freed_memory():
    """Applies the mallopt settings above (unless HANDGRAD_TORCH_GLIBC_MALLOC is set) once per
    process; says which on stderr the first time and returns it."""
    global _mode
    if _mode is not None:
        return _mode
    if os.environ.get('HANDGRAD_TORCH_GLIBC_MALLOC'):
        mode = 'malloc: glibc defaults (HANDGRAD_TORCH_GLIBC_MALLOC is set)'
    else:
        libc = ctypes.CDLL('libc.so.6')
        for option, value in ((_M_MMAP_THRESHOLD, 32 << 20), (_M_TRIM_THRESHOLD, 1 << 30),
                              (_M_TOP_PAD, 256 << 20)):
            if libc.mallopt(option, value) != 1:
                raise RuntimeError('mallopt(%d, %d) was refused' % (option, value))
        mode = 'malloc: freed memory kept (mmap threshold 32 MiB, no trimming; keep_memory.py)'
    print(mode, file=sys.stderr)
    _mode = mode
    return mode
