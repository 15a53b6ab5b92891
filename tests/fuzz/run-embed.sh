#!/usr/bin/env bash
# Builds and runs the embedder's fuzz targets (fuzz_safetensors, fuzz_wordpiece).
#   tests/fuzz/run-embed.sh [SECONDS]    default 60 s each
# With clang: libFuzzer + ASan + UBSan, seed corpus from the tiny model
# generator, crashes left in build/fuzz/. Without clang: gcc + ASan, each
# target replayed over the seed corpus by fuzz_main.c.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-60}
out=build/fuzz
mkdir -p "$out"
flags="-std=c11 -g -O1 -D_GNU_SOURCE -Isrc -Wall -Wextra -Werror"
srcs_st="src/embed/safetensors.c src/util/errmsg.c"
srcs_wp="src/embed/wordpiece.c src/embed/bert_chars.c src/util/errmsg.c"
jansson=$(pkg-config --cflags --libs jansson)

# Seed corpora: real files of the generator, and texts.
seed="$out/seed"
rm -rf "$seed" && mkdir -p "$seed/st" "$seed/wp"
/usr/bin/python3 tests/fakes/make_tiny_bert.py --out "$seed/model" --layers 1 --hidden 8 \
  --heads 2 --intermediate 8 --max-pos 8 >/dev/null
/usr/bin/python3 tests/fakes/make_tiny_bert.py --out "$seed/model16" --dtype f16 --layers 1 \
  --hidden 8 --heads 2 --intermediate 8 --max-pos 8 --no-reference >/dev/null
cp "$seed/model/model.safetensors" "$seed/st/f32"
cp "$seed/model16/model.safetensors" "$seed/st/f16"
/usr/bin/python3 - "$seed" <<'PY'
import json, sys
seed = sys.argv[1]
ref = json.load(open(seed + "/model/reference.json"))
for i, s in enumerate(ref["sentences"]):
    open("%s/wp/%d" % (seed, i), "wb").write(bytes([i * 37 % 256]) + s.encode())
open(seed + "/wp/vocab", "wb").write(b"\x01" + open(seed + "/model/vocab.txt", "rb").read())
PY

if command -v clang >/dev/null; then
  for t in safetensors wordpiece; do
    srcs=$srcs_st; [ $t = wordpiece ] && srcs=$srcs_wp
    clang $flags -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
      tests/fuzz/fuzz_$t.c $srcs $jansson -o "$out/fuzz_$t"
    corpus="$out/corpus_$t"; mkdir -p "$corpus"
    sd="$seed/st"; [ $t = wordpiece ] && sd="$seed/wp"
    echo "== fuzz_$t for ${secs}s =="
    "$out/fuzz_$t" -max_total_time="$secs" -max_len=65536 -artifact_prefix="$out/crash_$t-" \
      -print_final_stats=1 "$corpus" "$sd" 2>&1 | grep -E "^#[0-9]+.*DONE|stat::number_of_executed_units|stat::peak_rss|ERROR|SUMMARY" || true
  done
else
  for t in safetensors wordpiece; do
    srcs=$srcs_st; [ $t = wordpiece ] && srcs=$srcs_wp
    gcc $flags -fsanitize=address,undefined tests/fuzz/fuzz_main.c tests/fuzz/fuzz_$t.c $srcs \
      $jansson -o "$out/replay_$t"
    sd="$seed/st"; [ $t = wordpiece ] && sd="$seed/wp"
    "$out/replay_$t" "$sd"
  done
fi
