#!/usr/bin/python3
"""Checks make resources' JSON (rtl/flow/resources.sh) of one model.

    check_resources.py RESOURCES.json STAT.txt MANIFEST.json [--expect-dsp]

Structure (every key, one entry per PE of the manifest, in its order), sums
(total = the PEs + top glue, figure by figure), agreement with Yosys' own
design-hierarchy totals of the text statistics (counted by Yosys, not by
hw_resources), capacity and verdict consistent, and DSP > 0 when asked (a
model with multipliers). Prints one line per failure and exits 1.
"""
import json
import re
import sys

res_path, stat_path, manifest_path = sys.argv[1:4]
expect_dsp = "--expect-dsp" in sys.argv
res = json.load(open(res_path))
manifest = json.load(open(manifest_path))
fails = []


def need(cond, what):
    if not cond:
        fails.append(what)


for k in ("fpga", "family", "pes", "glue", "total", "capacity", "fits", "over", "memories", "lut_needed"):
    need(k in res, f"key {k} missing")
xilinx = res["family"] == "xilinx"
keys = ["lut", "ff", "dsp", "bram", "carry"] + (["lutram"] if xilinx else [])

# The PE instances of the manifest, plus the stream ends, are the table's rows.
pes_manifest = [pe["instance"] for layer in manifest["layers"] for pe in layer["pes"]]
rows = [p["instance"] for p in res["pes"]]
need([r for r in rows if r in pes_manifest] == pes_manifest,
     f"PE rows {rows} do not hold the manifest's PEs {pes_manifest} in order")
need(set(rows) - set(pes_manifest) <= {"axis_in", "axis_out"}, f"unexpected rows {set(rows) - set(pes_manifest)}")

for k in keys:
    s = sum(p["figures"][k] for p in res["pes"]) + res["glue"][k]
    need(abs(s - res["total"][k]) < 1e-9, f"total {k} {res['total'][k]} != sum of PEs and glue {s}")
    for p in res["pes"]:
        need(p["figures"][k] >= 0, f"{p['instance']} {k} negative")

# Yosys' own totals: the last "design hierarchy" block of `stat`.
text = open(stat_path).read()
block = text[text.rindex("=== design hierarchy ==="):]
cells = {m.group(1): int(m.group(2)) for m in re.finditer(r"^\s+(\S+)\s+(\d+)\s*$", block, re.M)}
if xilinx:
    yosys_lut = sum(v for c, v in cells.items() if re.fullmatch(r"LUT[1-6]", c))
    yosys_ff = sum(v for c, v in cells.items() if c in ("FDRE", "FDSE", "FDCE", "FDPE"))
    yosys_dsp = cells.get("DSP48E1", 0)
    yosys_bram = cells.get("RAMB36E1", 0) + cells.get("RAMB18E1", 0) / 2
else:
    yosys_lut = cells.get("SB_LUT4", 0)
    yosys_ff = sum(v for c, v in cells.items() if c.startswith("SB_DFF"))
    yosys_dsp = cells.get("SB_MAC16", 0)
    yosys_bram = sum(v for c, v in cells.items() if c.startswith("SB_RAM40_4K"))
for k, y in (("lut", yosys_lut), ("ff", yosys_ff), ("dsp", yosys_dsp), ("bram", yosys_bram)):
    need(res["total"][k] == y, f"total {k} {res['total'][k]} != Yosys' design total {y}")

t = res["total"]
need(t["lut"] > 0 and t["ff"] > 0, "no LUT or no FF at all")
if expect_dsp:
    need(t["dsp"] > 0, "no DSP for a model with multipliers")
    convs = [p for p in res["pes"] if p["entity"] in ("cnn_conv", "cnn_dense", "cnn_dwconv")]
    need(convs and all(p["figures"]["dsp"] > 0 for p in convs), "a conv/dense PE without DSP")
need(sum(p["figures"]["dsp"] for p in res["pes"] if p["entity"] in ("cnn_fifo", "cnn_axis_in", "cnn_axis_out")) == 0,
     "DSPs in a FIFO or a stream end")
cap = res["capacity"]
need(res["lut_needed"] == (t["lut"] + t["lutram"] if xilinx else t["lut"] + t["ff"]), "lut_needed inconsistent")
over = res["lut_needed"] > cap["lut"] or t["dsp"] > cap["dsp"] or t["bram"] > cap["bram"] or \
    (xilinx and t["ff"] > cap["ff"])
need(res["fits"] == (not over) and (len(res["over"]) == 0) == res["fits"], "fits / over inconsistent with the figures")
for m in res["memories"]:
    need(m["words"] > 0 and m["width"] > 0 and m["read"] in ("registered", "combinational") and m["mapped"],
         f"memory entry incomplete: {m}")

for f in fails:
    print(f"check_resources: {res_path}: {f}")
if not fails:
    print(f"check_resources: {res_path}: {len(res['pes'])} PEs, total LUT {t['lut']} FF {t['ff']} DSP {t['dsp']} "
          f"BRAM {t['bram']}; agrees with Yosys' totals")
sys.exit(1 if fails else 0)
