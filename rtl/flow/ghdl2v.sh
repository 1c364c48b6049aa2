#!/usr/bin/env bash
# ghdl2v.sh: VHDL-2008 -> Verilog that Verilator accepts, via GHDL's synthesis.
#
# Usage:
#   rtl/flow/ghdl2v.sh OUT_DIR TOP [-gNAME=VALUE ...] -- file1.vhd file2.vhd ...
#
#   OUT_DIR  created if missing; holds GHDL's work library (OUT_DIR/ghdl-work)
#            and the result OUT_DIR/TOP.v (module TOP plus its sub-modules).
#   TOP      the entity to elaborate.
#   -gN=V    generics of TOP (integers, booleans, strings as GHDL takes them).
#   files    analysed in the given order (packages first), --std=08.
#
# Exit status is non-zero, with GHDL's own message on stderr, when analysis
# or synthesis fails; OUT_DIR/TOP.v is then removed so no stale file is used.
#
# Sanitising: GHDL 2.0's Verilog writer emits a few constructs Verilator 5.006
# rejects. Each rule below is a line-level rewrite, with its reason:
#   R1  `localparam [..] NAME = 0'b;` (a zero-width constant, e.g. a null range
#       from a generic that is 0). Verilog has no zero-width literal; it is
#       rewritten to `1'b0`. GHDL only emits such constants for null vectors
#       whose value is never read as data (a null slice contributes no bits),
#       and the script checks that NAME is not used in a concatenation `{`
#       line; if it is, the script stops rather than guess.
#   R2  a constant wider than 32 bits written as a quoted bit string, e.g.
#       `$signed("0000...01111111")`: Verilog reads a quoted string as ASCII
#       bytes, so the design would silently compute with wrong values (seen
#       with 33-bit comparisons and wide ROM words). Rewritten to the sized
#       literal GHDL meant: `N'b0000...01111111`.
#   R3  a memory of >= 4096 words initialised word by word (a 64K-entry Add
#       table, cnn_add): GHDL writes one `initial` statement per word, which
#       Verilator turns into megabytes of C++ (minutes of compilation) and
#       Yosys 0.23 reads for over ten minutes. Rewritten to `$readmemb` of a
#       file of the same words beside the Verilog (OUT_DIR/TOP.<memory>.mem,
#       address 0 first, explicit bounds), only when the block assigns every
#       address of one memory exactly once; otherwise it is left as it is.
# CNN_GHDL2V_SKIP="R1 R2" leaves the named rules out: a translation that is
# wrong on purpose, so that a test proves sim/xcheck.sh (GHDL on the VHDL vs
# Verilator on this file) catches a translation difference.
# Everything else (INITIALDLY from GHDL's `initial x <= v;`, COMBDLY, width
# warnings) is legal Verilog and left to Verilator's -Wno-* options.
set -euo pipefail

die() { echo "ghdl2v.sh: $*" >&2; exit 1; }

[ $# -ge 4 ] || die "usage: ghdl2v.sh OUT_DIR TOP [-gNAME=VALUE ...] -- files..."
OUT_DIR=$1; TOP=$2; shift 2
GENERICS=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  case "$1" in
    -g*) GENERICS+=("$1") ;;
    *) die "expected -gNAME=VALUE or --, got '$1'" ;;
  esac
  shift
done
[ "${1:-}" = "--" ] || die "missing -- before the VHDL files"
shift
[ $# -gt 0 ] || die "no VHDL files given"

GHDL=${GHDL:-ghdl}
mkdir -p "$OUT_DIR/ghdl-work"
WORK=$(cd "$OUT_DIR/ghdl-work" && pwd)
OUT="$OUT_DIR/$TOP.v"
TMP="$OUT.tmp"
rm -f "$OUT" "$TMP"
# A fresh library each time: stale units from removed files must not survive.
rm -f "$WORK"/*.cf

for f in "$@"; do
  [ -f "$f" ] || die "no such VHDL file: $f"
done
"$GHDL" -a --std=08 --workdir="$WORK" "$@" \
  || die "analysis failed (ghdl -a --std=08 $*)"
"$GHDL" synth --std=08 --no-formal --workdir="$WORK" --out=verilog \
  "${GENERICS[@]}" "$TOP" > "$TMP" \
  || { rm -f "$TMP"; die "synthesis of $TOP ${GENERICS[*]} failed"; }

skip() {
  local s=${CNN_GHDL2V_SKIP:-}
  case " ${s//,/ } " in *" $1 "*) echo "ghdl2v.sh: rule $1 left out (CNN_GHDL2V_SKIP)" >&2; return 0 ;; esac
  return 1
}

# R1: zero-width localparams (with or without a [..] range before the name).
R1_RE="^ *localparam( \\[[^]]*\\])? ([A-Za-z_][A-Za-z0-9_]*) = 0'b;"
for name in $(sed -nE "s/$R1_RE.*/\\2/p" "$TMP"); do
  if grep -E "\\{[^}]*\\b$name\\b" "$TMP" > /dev/null; then
    rm -f "$TMP"
    die "zero-width constant $name is used in a concatenation; R1 cannot rewrite it"
  fi
done
skip R1 || sed -i -E "s/$R1_RE/  localparam \\2 = 1'b0; \/\/ ghdl2v R1: was 0'b/" "$TMP"

# R2: quoted bit strings -> sized binary literals.
skip R2 || perl -pi -e 's/"([01]+)"/length($1) . "\x27b" . $1/ge' "$TMP"

# R3: large word-by-word memory initialisations -> $readmemb files.
skip R3 || perl -e '
  my ($in, $prefix) = @ARGV;
  open(my $f, "<", $in) or die "$in: $!";
  my @blk; my $in_blk = 0; my $out = "";
  sub flush {
    my ($name, %w, $bad);
    for my $l (@blk[1 .. $#blk - 1]) {
      if ($l =~ /^\s*(\w+)\[(\d+)\] = \d+\x27b([01]+);\s*$/) {
        $name //= $1; $bad = 1 if $1 ne $name || exists $w{$2}; $w{$2} = $3;
      } else { $bad = 1 }
    }
    my $n = scalar(keys %w);
    if ($bad || $n < 4096 || grep { !exists $w{$_} } 0 .. $n - 1) { $out .= join("", @blk); return }
    my $file = "$prefix.$name.mem";
    open(my $m, ">", $file) or die "$file: $!";
    print $m "$w{$_}\n" for 0 .. $n - 1;
    close $m;
    $out .= "  initial \$readmemb(\"$file\", $name, 0, " . ($n - 1) . "); // ghdl2v R3: $n words\n";
  }
  while (my $l = <$f>) {
    if (!$in_blk && $l =~ /^\s*initial begin\s*$/) { $in_blk = 1; @blk = ($l); next }
    if ($in_blk) { push @blk, $l; if ($l =~ /^\s*end\s*$/) { flush(); $in_blk = 0 } next }
    $out .= $l;
  }
  $out .= join("", @blk) if $in_blk;
  close $f;
  open($f, ">", $in) or die "$in: $!"; print $f $out; close $f;
' "$TMP" "$(cd "$OUT_DIR" && pwd)/$TOP"

mv "$TMP" "$OUT"
