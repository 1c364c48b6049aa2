#!/usr/bin/python3
"""Holds the analytical resource model (gen/resource_model.hpp) to Yosys.

    check_estimate.py RESOURCES.json MODEL

RESOURCES.json is make resources' JSON for a 7-series part (rtl/flow/
resources.sh with the model's manifest: every PE's "est" beside its Yosys
"figures", "est_total" beside "yosys_total"). The model's totals must be
within the tolerance gen/resource_model.hpp states:
    DSP     exact
    BRAM36  within 1 (36-Kbit blocks)
    LUT, FF within 30%
    LUTRAM  within 30% or 64 LUTs
A total outside it is one line naming the model, the resource, both totals
and the PE whose estimate is furthest from its Yosys figure; exit 1.
"""
import json
import sys

res_path, model = sys.argv[1:3]
res = json.load(open(res_path))
fails = []
if res.get("family") != "xilinx":
    fails.append(f"{model}: {res.get('fpga')} is no 7-series part: the model estimates synth_xilinx")
if "est_total" not in res:
    fails.append(f"{model}: no estimate in {res_path} (no manifest beside the Verilog?)")
if fails:
    print("\n".join(fails))
    sys.exit(1)

YOSYS_KEY = {"lut": "lut", "ff": "ff", "dsp": "dsp", "bram36": "bram", "lutram": "lutram"}


def within(k, est, got):
    if k == "dsp":
        return abs(est - got) < 0.5
    if k == "bram36":
        return abs(est - got) <= 1
    if k == "lutram":
        return abs(est - got) <= max(0.3 * got, 64)
    return abs(est - got) <= 0.3 * got


est, got = res["est_total"], res["yosys_total"]
pes = [p for p in res["pes"] if "est" in p]
missing = [p["instance"] for p in res["pes"] if "est" not in p]
if missing:
    fails.append(f"{model}: PEs without an estimate: {', '.join(missing)}")
for k in ("lut", "ff", "dsp", "bram36", "lutram"):
    if within(k, est[k], got[k]):
        continue
    worst = max(pes, key=lambda p: abs(p["est"][k] - p["figures"][YOSYS_KEY[k]]))
    fails.append(f"{model}: {k} estimated {est[k]:g}, Yosys {got[k]:g} (outside the tolerance); furthest PE "
                 f"{worst['instance']} ({worst['entity']}): estimated {worst['est'][k]:g}, Yosys "
                 f"{worst['figures'][YOSYS_KEY[k]]:g}")
ratio = " ".join(f"{k} {est[k]:g}/{got[k]:g}" for k in ("lut", "ff", "dsp", "bram36", "lutram"))
for f in fails:
    print(f"check_estimate: {f}")
if not fails:
    print(f"check_estimate: {model}: estimate/Yosys {ratio}: within the tolerance")
sys.exit(1 if fails else 0)
