#!/usr/bin/env bash
# One pass over what a GPU machine must show, in at most ~8 minutes: environment, DJL JNI build (scripts/gpu-kit),
# `ivl doctor`, `ivl conformance` in f32 and f16 on all HF fixtures, `ivl bench` of a 7B base with a 1.1B value model.
# usage: scripts/gpu-check.sh OUT_DIR [--device cpu] [--quick]
#   GPU (default): runs ivl through the kit made by `scripts/gpu-kit/prepare.sh . DJL_SOURCES .gpu-kit`, found in
#     $IVL_KIT (default .gpu-kit beside scripts/); needs python3 with torch, cmake, a C++ compiler; no JDK.
#   --device cpu: runs ./ivl (needs a JDK), or the kit when IVL_KIT is set; --quick: small shapes, few tokens (about 1-2 minutes on 2 cores).
# OUT_DIR receives summary.md, check.log and results.tgz (every output, log and JSON); it is refreshed after each
# phase, so a run cut short still leaves what it did. Each phase runs under `timeout`; a failed phase does not stop
# the others; the exit status is 1 when one did (doctor aside). Env: IVL_CHECK_BUDGET (seconds for the whole run), IVL_CHECK_CACHE (random checkpoints, default /tmp).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 1 ] || { sed -n 2,10p "$0" >&2; exit 2; }
OUT=$1; shift; DEVICE=gpu; QUICK=
while [ $# -gt 0 ]; do
  case $1 in --device) DEVICE=${2:?}; shift 2;; --quick) QUICK=1; shift;; *) echo "gpu-check: unknown option $1" >&2; exit 2;; esac
done
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd); cd "$ROOT"   # conformance looks for ../shared from here
R=$(mktemp -d /tmp/ivl-gpu-check.XXXXXX); mkdir -p "$R/results"; D=$R/results   # everything goes here, then results.tgz
START=$SECONDS; BUDGET=${IVL_CHECK_BUDGET:-$([ -n "$QUICK" ] && echo 240 || echo 470)}
CACHE=${IVL_CHECK_CACHE:-/tmp/ivl-random-checkpoints}
: > "$OUT/check.log"
left() { echo $((BUDGET - (SECONDS - START))); }
log() { echo "[$(printf '%3d' $((SECONDS - START)))s] $*" | tee -a "$OUT/check.log" >&2; }
stamp() { local s=$SECONDS l; while IFS= read -r l; do echo "[$((SECONDS - s))s] $l"; done; }
snapshot() { summary > "$OUT/summary.md" 2>>"$D/summary.err"; cp "$OUT/check.log" "$D/"; tar czf "$OUT/results.tgz" -C "$R" results; }

# phase NAME MAX_SECONDS COMMAND...: stdout to NAME.out, stderr (time-stamped) to NAME.err, under timeout
# min(MAX_SECONDS, time left); its exit status and seconds go to phases.tsv
phase() {
  local name=$1 max=$2 t s rc; shift 2
  t=$(left); [ "$t" -gt "$max" ] && t=$max
  if [ "$t" -lt 15 ]; then
    log "$name: skipped, out of time"; printf '%s\tskipped\t0\n' "$name" >> "$D/phases.tsv"; return 1
  fi
  s=$SECONDS; log "$name: start (timeout ${t}s)"
  timeout -k 10 "$t" "$@" > "$D/$name.out" 2> >(stamp > "$D/$name.err"); rc=$?; sleep 0.2   # let the stamping of stderr finish
  case $rc in 124|137) rc="timeout-${t}s";; esac
  printf '%s\t%s\t%s\n' "$name" "$rc" $((SECONDS - s)) >> "$D/phases.tsv"
  log "$name: exit $rc after $((SECONDS - s)) s"; snapshot
  [ "$rc" = 0 ]
}

# summary.md from the JSON outputs (python3: present wherever torch is)
summary() {
  python3 - "$D" "$DEVICE" "$QUICK" <<'EOF'
import json, os, sys
d, device, quick = sys.argv[1], sys.argv[2], sys.argv[3]
def load(name):
    try:
        with open(os.path.join(d, name)) as f: return json.load(f)
    except Exception: return None
def text(name):
    try:
        with open(os.path.join(d, name)) as f: return f.read().strip()
    except Exception: return ""
phases = [l.split("\t") for l in text("phases.tsv").splitlines() if l]
print(f"# ivl GPU check ({device}{', quick' if quick else ''})\n")
print(text("env-summary.txt") + "\n")
print("| phase | exit | seconds |\n|---|---|---|")
for p in phases: print(f"| {p[0]} | {p[1]} | {p[2]} |")
doc = load("doctor-json.out")
print(f"\n**doctor**: {text('doctor-verdict.txt') or (json.dumps(doc.get('verdict', doc.get('status')))[:200] if isinstance(doc, dict) else 'no result')}")
print(f"\n**JNI build**: {text('jni/jni-build.txt') or text('jni-note.txt') or 'not run'}")
rows = {}
for dt in ("f32", "f16"):
    c = load(f"conformance-{dt}.out")
    for fx in (c or {}).get("fixtures", []):
        rows.setdefault(fx["name"], {})[dt] = fx
if rows:
    print("\n| fixture | f32 max abs dlogit | f32 greedy | f32 | f16 max abs dlogit | f16 greedy |\n|---|---|---|---|---|---|")
    for name, r in sorted(rows.items()):
        def cell(dt):
            fx = r.get(dt)
            if not fx: return ["-", "-"]
            return [f"{max(fx['maxDelta'].values()):.3g}", f"{fx['greedyMatched']}/{fx['greedyTotal']}"]
        f32, f16 = cell("f32"), cell("f16")
        v = r.get("f32", {}).get("pass")
        print(f"| {name} | {f32[0]} | {f32[1]} | {'-' if v is None else 'pass' if v else 'FAIL'} | {f16[0]} | {f16[1]} |")
b = load("bench-pair.out")
if b:
    m = {k: v["decodeMillisPerToken"] for k, v in b.get("modes", {}).items()}
    print(f"\n**bench**, base with value model (settings {json.dumps(b.get('settings'))}):\n")
    print("| mode | decode ms/token | prefill ms |\n|---|---|---|")
    for k, v in b.get("modes", {}).items():
        print(f"| {k} | {v['decodeMillisPerToken']:.2f} | {v['prefillMillis']:.1f} |")
    if m.get("base") and m.get("concurrent"):
        print(f"\nR = concurrent / base = {m['concurrent'] / m['base']:.3f}; "
              f"concurrent / sequential = {m['concurrent'] / m['sequential']:.3f}" if m.get("sequential") else "")
o = load("ops.out")
if o:
    print(f"\n**engine ops per layer per decode step** ({o.get('device')}, {o.get('dtype')}): {o.get('perLayer')}"
          f" (outside the layers: {o.get('outsideLayers')})")
a = load("bench-base.out")
if a:
    dm = a.get("decodeMillisPerToken", {})
    print(f"\n**bench, base alone**: decode {dm.get('median')} ms/token (median), prefill "
          f"{a.get('prefillTokensPerSecond', {}).get('median')} tokens/s, floor "
          f"{a.get('linearFloorMillisPerStep', {}).get('median')} ms/step")
EOF
}

log "ivl gpu check: device $DEVICE${QUICK:+, quick}, budget ${BUDGET}s, results in $OUT"
# a. environment, and the DJL JNI for the local torch
{ echo "date: $(date -u +%FT%TZ)"; echo "host: $(uname -srm), $(nproc) cores, $(free -g | awk '/Mem:/ {print $2 " GiB"}')";
  (command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader) || true
  python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available())' 2>/dev/null || echo "python3 torch: none"
  echo "ivl: $(git -C "$ROOT" log --oneline -1 2>/dev/null)"
  [ ! -f "${IVL_KIT:-$ROOT/.gpu-kit}/source.txt" ] || echo "kit built from: $(cat "${IVL_KIT:-$ROOT/.gpu-kit}/source.txt")"
  } > "$D/env-summary.txt"
(command -v nvidia-smi >/dev/null && nvidia-smi) > "$D/nvidia-smi.txt" 2>&1
if [ "$DEVICE" = cpu ] && [ -z "${IVL_KIT:-}" ]; then   # with IVL_KIT set, the kit runs on the CPU too
  IVL=("$ROOT/ivl"); export DJL_OFFLINE=true
  echo "cpu: the ./ivl launcher with DJL's published JNI; none built" > "$D/jni-note.txt"
  jar=ivl-examples/target/ivl.jar   # rebuilt when a source is newer
  [ -f $jar ] && [ -z "$(find . -path '*/src/main/*' -newer $jar -print -quit)" ] || export IVL_REBUILD=1
  phase build 300 "$ROOT/ivl" --version; unset IVL_REBUILD
else
  KIT=$(cd "${IVL_KIT:-.gpu-kit}" && pwd) || { log "no kit folder ${IVL_KIT:-.gpu-kit} (scripts/gpu-kit/prepare.sh makes it)"; exit 2; }
  export IVL_KIT_WORK=${IVL_KIT_WORK:-/tmp/ivl-kit} IVL_KIT_LOGS=$D/jni
  IVL=("$KIT/run.sh")
  tv=${TORCH_VERSION:-$(python3 -c 'import torch; print(torch.__version__)' 2>/dev/null)}
  case "$tv" in
    2.7.1*) note="torch $tv: DJL 0.36 publishes a JNI for it; the kit builds its own anyway (scripts/gpu-kit)";;
    *) note="torch ${tv:-?}: DJL 0.36 publishes no JNI for it; building one (scripts/gpu-kit)";;
  esac
  log "$note"; echo "$note" >> "$D/env-summary.txt"
  phase unpack 60 env IVL_KIT_NO_BUILD=1 IVL_KIT_BUILD_ONLY=1 "$KIT/run.sh"
  if [ -z "$QUICK" ]; then   # the bench's random checkpoints are written (Java only) while the JNI builds
    for shape in llama2-7b tinyllama-1.1b; do
      ( s=$SECONDS; IVL_KIT_NO_BUILD=1 IVL_KIT_MAIN=dev.ivl.fixtures.RandomCheckpoint timeout 420 "$KIT/run.sh" $shape "$CACHE" \
          > "$D/materialize-$shape.out" 2>&1; printf 'materialize-%s\t%s\t%s\n' $shape $? $((SECONDS - s)) >> "$D/phases.tsv" ) &
    done
  fi
  # without a JNI nothing below can run: later phases fail at once instead of building again
  phase jni-build 300 env IVL_KIT_BUILD_ONLY=1 "$KIT/run.sh" || export IVL_KIT_NO_BUILD=1
  log "JNI: $(cat "$D/jni/jni-build.txt" 2>/dev/null || echo 'no result')"
fi
DEV=$([ "$DEVICE" = cpu ] && echo cpu || echo gpu)

# b. doctor (another branch adds it: tolerate its absence)
phase doctor-json 60 "${IVL[@]}" doctor --json
phase doctor 60 "${IVL[@]}" doctor
if grep -qi "unmatched argument.*doctor\|unknown.*doctor" "$D/doctor.err" "$D/doctor-json.err" 2>/dev/null; then
  echo "doctor unavailable" > "$D/doctor-verdict.txt"
else
  echo "exit $(awk -F'\t' '$1=="doctor" {print $2}' "$D/phases.tsv"): $(grep -v '^\s*$' "$D/doctor.out" | tail -1)" > "$D/doctor-verdict.txt"
fi
log "doctor: $(cat "$D/doctor-verdict.txt")"

# c. conformance with transformers: the project's fixtures merged with the kit's (gqa-bf16, sharded-deep, mqa's expected)
if [ "$DEVICE" = cpu ] && [ -z "${IVL_KIT:-}" ]; then
  FIX=(); # default: ../shared/conformance/hf-llama when present, else the shipped ones
else
  mkdir -p "$R/fixtures"; cp -r "$ROOT/src-test-fixtures/src/main/resources/dev/ivl/fixtures/hf-llama/." "$R/fixtures/"
  [ -f "$KIT/fixtures.txz" ] && { xz -dc "$KIT/fixtures.txz" 2>/dev/null || python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), sys.stdout.buffer)' "$KIT/fixtures.txz"; } | tar x --strip-components=1 -C "$R/fixtures"
  FIX=(--fixtures "$R/fixtures")
fi
phase conformance-f32 90 "${IVL[@]}" conformance "${FIX[@]}" --device "$DEV" --dtype f32 --json
phase conformance-f16 90 "${IVL[@]}" conformance "${FIX[@]}" --device "$DEV" --dtype f16 --json

# d. engine ops per decoder layer of a decode step (PyTorch's profiler; fails where the JNI was built without it)
phase ops 60 "${IVL[@]}" bench --ops --device "$DEV" --dtype "$([ -n "$QUICK" ] && echo f32 || echo f16)" --threads 1 --json
# e. bench: base alone, value alone, sequential, concurrent, concurrent engine-free; then the base alone
if [ -n "$QUICK" ]; then
  phase bench-pair 120 "${IVL[@]}" bench --random tiny --value-random tiny --device "$DEV" --dtype f32 \
    --prompt-tokens 8 --new-tokens 8 --repetitions 1 --warmup 0 --cache "$CACHE" --json
  phase bench-base 60 "${IVL[@]}" bench --random tiny --device "$DEV" --dtype f32 --prompt-tokens 8 --new-tokens 8 \
    --repetitions 1 --warmup 0 --cache "$CACHE" --json
else
  [ -n "${IVL_KIT_NO_BUILD:-}" ] || { log "waiting for the random checkpoints"; wait; }; log "random checkpoints: $(du -sh "$CACHE" 2>&1 | cut -f1)"
  phase bench-pair 300 "${IVL[@]}" bench --random llama2-7b --value-random tinyllama-1.1b --device "$DEV" --dtype f16 \
    --new-tokens 128 --repetitions 5 --warmup 1 --cache "$CACHE" --json
  du -sh "$CACHE"/* > "$D/random-checkpoints.txt" 2>&1
  phase bench-base 120 "${IVL[@]}" bench --random llama2-7b --device "$DEV" --dtype f16 --new-tokens 128 \
    --repetitions 5 --warmup 1 --cache "$CACHE" --json
fi

# f. summary
snapshot
bad=$(awk -F'\t' '$1 !~ /^doctor/ && $2 != "0" {printf "%s ", $1}' "$D/phases.tsv")
log "done in $((SECONDS - START)) s: $OUT/summary.md, $OUT/results.tgz ($(du -h "$OUT/results.tgz" | cut -f1))${bad:+; failed: $bad}"
cp "$OUT/check.log" "$D/"; tar czf "$OUT/results.tgz" -C "$R" results; rm -rf "$R"
[ -z "$bad" ]   # exit 1 when a phase other than doctor failed
