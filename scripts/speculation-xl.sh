#!/usr/bin/env bash
# Speculative decoding for a larger base of the facts study's family (docs/BENCHMARKS.md, "Speculative decoding"):
# trains XL (hidden 384, 6 layers, ffn 1024) with the study's pre-training recipe on a run's data and tokenizer,
# then measures the demo's small base S plus its value model drafting for XL plus the same value model.
#
#   scripts/speculation-xl.sh RUN DEMO WORK
#     RUN   a full-scale facts run (`./ivl experiment --out RUN`): its data/pretrain.jsonl, tokenizer/ and models/L
#     DEMO  the demo folder of that run (`--export-demo`, or the shipped one: ivl-test-fixtures' dev/ivl/fixtures/demo)
#     WORK  where XL and its initial weights go
# About 8 minutes of training and 2 of benchmark on 2 cores.
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: $0 RUN DEMO WORK" >&2; exit 2; }
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
run="$1"; demo="$2"; work="$3"
for f in "$run/data/pretrain.jsonl" "$run/tokenizer/tokenizer.json" "$run/models/L/config.json" "$demo/draft/config.json" "$demo/value/config.json"; do
  [ -f "$f" ] || { echo "$0: missing $f" >&2; exit 1; }
done
mkdir -p "$work"
# L's configuration at XL's shape
sed -e 's/"hidden_size": [0-9]*/"hidden_size": 384/' -e 's/"intermediate_size": [0-9]*/"intermediate_size": 1024/' \
    -e 's/"num_hidden_layers": [0-9]*/"num_hidden_layers": 6/' -e 's/"num_attention_heads": [0-9]*/"num_attention_heads": 12/' \
    -e 's/"num_key_value_heads": [0-9]*/"num_key_value_heads": 12/' "$run/models/L/config.json" > "$work/xl-config.json"
"$root/ivl" --version >/dev/null # builds the jar on first use
init="$(DJL_OFFLINE=true java -Dai.djl.offline=true -cp "$root/ivl-examples/target/ivl.jar:$root/ivl-examples/target/lib/*" \
  dev.ivl.fixtures.RandomCheckpoint "$work/xl-config.json" "$work/init" 103 f32)"
cp "$run/tokenizer/tokenizer.json" "$run/tokenizer/tokenizer_config.json" "$init/"
"$root/ivl" train --scheme causal-lm --value-init "$init" --data "$run/data/pretrain.jsonl" --out "$work/XL" --force \
  --epochs 40 --lr 0.002 --batch-tokens 512 --max-length 128 --warmup-ratio 0.05 --seed 1 --threads 2
"$root/ivl" bench --model "$work/XL" --value "$demo/value" --draft "$demo/draft" \
  --prompts "$root/docs/bench/speculation-prompts.txt" --dtype f32 --threads 2 --stepping sequential \
  --repetitions 3 --new-tokens 96
