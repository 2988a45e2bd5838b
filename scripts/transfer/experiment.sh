#!/usr/bin/env bash
# The transfer-learning experiment of docs/transfer.md: a resnet-small pretrained on Fashion-MNIST
# classes 0-4 (all their labels), then three arms on classes 5-9 with N labels per class,
# N = 10, 100, 1000, every arm the same 500 Adam steps at lr 1e-3:
#   scratch   PyTorch's initialization, nothing frozen, the body at the head's lr
#   finetune  the pretrained weights, stem and layer1 frozen, the rest of the body at 0.1 x lr
#   probe     the pretrained weights, the whole body frozen: only the new head learns
# Each run's result.json holds its test accuracy on the 5,000 test images of classes 5-9, the
# parameters with the best accuracy on 200 validation images (the end of the filtered training
# split). Then scripts/transfer/summarize.py prints the table and draws the plot.
#
#   scripts/transfer/experiment.sh [--runs DIR]      (default DIR: runs/transfer)
#
# About 20 minutes on a 2-core machine. Needs /usr/bin/python3 with torch for the initial weights
# (scripts/torch/train_small_resnet.py --minutes 0). HANDGRAD_JAR=path runs that jar instead of
# ./handgrad. Finished runs (a result.json) are kept: a restarted experiment goes on.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
runs="$root/runs/transfer"
if [ "${1:-}" = "--runs" ]; then
  runs="$2"
  shift 2
fi
mkdir -p "$runs"
handgrad() {
  "$root/handgrad" "$@"
}
# The newest finished run named $1, or nothing.
done_run() {
  for d in $(ls -d "$runs/$1"-* 2>/dev/null | sort -r); do
    if [ -f "$d/result.json" ] && grep -q test_acc "$d/result.json"; then
      echo "$d"
      return
    fi
  done
}
init="$runs/init.safetensors"
[ -f "$init" ] || /usr/bin/python3 "$root/scripts/torch/train_small_resnet.py" --out "$init" --minutes 0
if [ -z "$(done_run pretrain-0-4)" ]; then
  handgrad finetune --from "$init" --model resnet-small --head-classes 5 --classes 0,1,2,3,4 \
    --body-lr-mult 1 --data fashion-mnist --epochs 5 --run-dir "$runs" --name pretrain-0-4
fi
pretrained="$(done_run pretrain-0-4)"
steps=500
for n in 10 100 1000; do
  images=$((5 * n))
  batch=$((images < 100 ? images : 100))
  epochs=$((steps * batch / images))
  common=(--head-classes 5 --classes 5,6,7,8,9 --labels-per-class "$n" --val-per-run 200
    --data fashion-mnist --optimizer adam --lr 1e-3 --batch-size "$batch" --epochs "$epochs"
    --run-dir "$runs")
  [ -n "$(done_run "scratch-$n")" ] || handgrad finetune --from "$init" --model resnet-small \
    --body-lr-mult 1 "${common[@]}" --name "scratch-$n"
  [ -n "$(done_run "finetune-$n")" ] || handgrad finetune --from "$pretrained" \
    --freeze conv1,bn1,layer1 --body-lr-mult 0.1 "${common[@]}" --name "finetune-$n"
  [ -n "$(done_run "probe-$n")" ] || handgrad finetune --from "$pretrained" \
    --freeze conv1,bn1,layer1,layer2,layer3 "${common[@]}" --name "probe-$n"
done
/usr/bin/python3 "$root/scripts/transfer/summarize.py" "$runs"
