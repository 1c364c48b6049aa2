// Folding: each layer's parallelism for a target interval, what it costs,
// and the sweep of targets (cnnc plan, cnnc explore; make sim TARGET=...,
// make explore).
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "ir.hpp"
#include "ops.hpp"

namespace cnn {

// Targets besides a number of cycles per image (cnnc --target min, mid, max or N).
constexpr int64_t kTargetMax = 0;    // the fastest pipeline (the default)
constexpr int64_t kTargetMin = -1;   // the fewest multipliers: one lane everywhere
constexpr int64_t kTargetMid = -2;   // the geometric mean of min's and max's intervals
// "max", "min", "mid" or "N" (N > 0 cycles per image); anything else throws
// Error naming `what`.
int64_t parse_target(const std::string& s, const std::string& what);
// "max", "min", "mid" or the number.
std::string target_name(int64_t target);

// Parallelism planning: each Conv's (par_in, par_out, par_ky, par_kx), each
// DwConv's lanes, each Dense's par_in, with the fewest multipliers (ties: the
// fewest estimated LUTs) whose cycles fit the target interval, and every
// layer's link lanes (channels a beat, lanes_in / lanes_out: as few as the
// target needs; gen/plan.cpp set_lanes). kTargetMax: the input stream's bound
// (one beat a cycle), raised to the slowest layer's best (full parallelism),
// since nothing needs to beat the bottleneck; kTargetMin: the slowest layer
// at one lane (every layer then takes the fewest multipliers that keep up
// with it). A target below what the pipeline can reach is raised the same
// way. `fixed` > 0 forces par_in = min(fixed, C_IN) and par_out = 1
// everywhere (cnnc --par N).
void plan_parallelism(Network& net, int64_t target = kTargetMax, int fixed = 0);

// Every layer's lanes for its folding as plan_parallelism sets them (for a
// folding changed by hand: tests).
void plan_lanes(Network& net, int64_t target);

// The multipliers a planned layer's PEs hold (the planner's cost).
int64_t layer_multipliers(const Layer& l);

// A planned network, layer by layer: its folding, the slowest of its PEs
// (FIFOs included) and their estimated resources.
struct PlanRow {
    std::string layer, kind, folding;  // folding: "par_in x par_out x par_ky x par_kx" or "-"
    std::string lanes;                 // "lanes_in/lanes_out"
    int64_t cycles = 0, multipliers = 0;
    FpgaResources res;
};
struct Plan {
    int64_t target = 0;       // as asked (kTargetMax, kTargetMin or cycles)
    int64_t interval = 0;     // the slowest PE's cycles per image
    int64_t multipliers = 0;
    std::vector<PlanRow> rows;
    FpgaResources total;      // every PE's estimate
};
// Plans a copy of `net` for `target` and builds its design to read the PEs.
Plan make_plan(const Network& net, int64_t target, int fixed = 0);
// The plan as a table; with clock_mhz > 0 also images/s at that clock.
void print_plan(const Plan& p, double clock_mhz, std::ostream& os);

// The design points between the fewest multipliers and the fastest pipeline:
// `points` targets spaced geometrically from kTargetMin's interval down to
// kTargetMax's, each planned; points that plan to the same design are kept
// once. pareto: no other point is at least as fast with no more of any
// resource (LUT, FF, DSP, BRAM36) and better in one.
struct ExplorePoint {
    Plan plan;
    bool pareto = false;
};
std::vector<ExplorePoint> explore(const Network& net, int points);

}  // namespace cnn
