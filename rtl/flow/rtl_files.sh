#!/usr/bin/env bash
# rtl_files.sh: prints the library's VHDL files (rtl/cnn_*.vhd) in an order
# GHDL can analyse them: packages first, then every entity after the entities
# it instantiates (`entity work.NAME`). Fails on a cycle or a missing entity.
set -euo pipefail
RTL=$(cd "$(dirname "$0")/.." && pwd)
declare -A deps done_
files=()
for f in "$RTL"/cnn_*.vhd; do
  name=$(basename "$f" .vhd)
  files+=("$name")
  deps[$name]=$( { grep -oiE "entity +work\.[a-z0-9_]+" "$f" || true; } | sed -E 's/.*\.//' | tr 'A-Z' 'a-z' | sort -u | tr '\n' ' ')
  # Every file uses the package.
  [ "$name" = cnn_pkg ] || deps[$name]+=" cnn_pkg"
done
visit() {
  local n=$1 trail=$2
  [ -n "${done_[$n]:-}" ] && return 0
  case " $trail " in *" $n "*) echo "rtl_files.sh: dependency cycle: $trail $n" >&2; exit 1 ;; esac
  [ -f "$RTL/$n.vhd" ] || { echo "rtl_files.sh: $n is instantiated but rtl/$n.vhd does not exist" >&2; exit 1; }
  for d in ${deps[$n]}; do visit "$d" "$trail $n"; done
  done_[$n]=1
  echo "$RTL/$n.vhd"
}
for n in "${files[@]}"; do visit "$n" ""; done
