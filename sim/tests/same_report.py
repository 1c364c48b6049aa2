#!/usr/bin/python3
"""same_report.py A.json B.json: exit 0 when two run reports say the same
(every key, every image's outputs, cycles, the PE figures and the timeline),
timing aside (wall_s, sim_cycles_per_s); else one line per difference, exit 1."""
import json
import sys

TIMING = {"wall_s", "sim_cycles_per_s"}


def diff(a, b, path, out):
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if path == "" and k in TIMING:
                continue
            if k not in a or k not in b:
                out.append(f"{path}/{k}: only in {'B' if k not in a else 'A'}")
            else:
                diff(a[k], b[k], f"{path}/{k}", out)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append(f"{path}: {len(a)} vs {len(b)} entries")
        for i, (x, y) in enumerate(zip(a, b)):
            diff(x, y, f"{path}[{i}]", out)
    elif a != b:
        out.append(f"{path}: {a!r} vs {b!r}")


def main():
    if len(sys.argv) != 3:
        print("usage: same_report.py A.json B.json", file=sys.stderr)
        return 2
    a, b = (json.load(open(p)) for p in sys.argv[1:])
    out = []
    diff(a, b, "", out)
    for line in out[:20]:
        print("same_report:", line)
    if out:
        print(f"same_report: {len(out)} differences between {sys.argv[1]} and {sys.argv[2]}")
        return 1
    print(f"same_report: {len(a.get('results', []))} images, {a.get('cycles')} cycles: identical but for timing")
    return 0


if __name__ == "__main__":
    sys.exit(main())
