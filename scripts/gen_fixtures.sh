#!/usr/bin/env bash
# Regenerates every PyTorch/NumPy fixture under core/src/test/resources/fixtures (and the twin
# run folders under app/src/test/resources/fixtures/twins, from twin_runs.py).
# Needs Debian's python3-torch and python3-numpy (apt-get install python3-torch python3-numpy),
# python3-nltk for bleu.py and python3-h5py for coco_h5.py (which writes coco/src/test/resources).
set -euo pipefail
cd "$(dirname "$0")/fixtures"
for script in *.py; do
  [ "$script" = common.py ] && continue
  echo "== $script" >&2
  /usr/bin/python3 "$script"
done
