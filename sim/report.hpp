// The run report of SPEC §4: figures, per-image results, per-PE cycles, the
// timeline; printed, written as JSON and read back (shards are joined).
#pragma once

#include <array>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "manifest.hpp"
#include "scoreboard.hpp"

namespace cnn::sim {

struct RunReport {
    std::string model;
    double clock_mhz = 100.0;
    std::string stall;
    size_t images = 0, mismatches = 0;
    int labelled = 0, correct = 0;
    uint64_t cycles = 0;
    double latency_cycles = 0, first_latency_cycles = 0, interval_cycles = 0, cycles_per_image = 0;
    int64_t expected_cycles_per_image = 0;
    double throughput = 0, sim_cycles_per_s = 0, wall_s = 0;
    std::vector<std::string> errors;   // protocol, watchdog: each fails the run
    std::vector<ImageResult> results;
    struct PeStat {
        std::string instance;
        int64_t expected = 0;
        uint64_t busy = 0, starved = 0, blocked = 0;   // cycles on its output link
        double measured = 0;   // its measured cycles per image (Scoreboard::link_interval), instance 0
    };
    std::vector<PeStat> pes;
    // Every FIFO of the top: its depth and the most beats it held (over all
    // instances): a peak at the depth means it filled, and may have throttled.
    struct FifoStat {
        std::string instance;
        int64_t depth = 0, planned = 0, peak = 0;
        bool skip = false;
    };
    std::vector<FifoStat> fifos;
    // Per-PE busy / starved / blocked cycles per bucket of timeline_bucket
    // cycles, of model instance 0 (its images, its cycles): [bucket][pe].
    uint64_t timeline_bucket = 1;
    std::vector<std::vector<std::array<uint32_t, 3>>> timeline;
    // Place-and-route timing of this model's hardware, when a timing-<fpga>.json
    // (make fmax, rtl/flow/fmax.sh) lies beside its manifest: fmax of clk and
    // images/s at that clock, beside the nominal clock's.
    struct Timing {
        std::string fpga;
        double fmax_mhz = 0;
    };
    std::vector<Timing> timing;
    std::string simulator = "verilator";
    bool output_unsigned = false;      // output values are uint8 (the manifest's, set by finish)

    // The verdict of a run, the only one: the exit code of every simulator,
    // hence CTest's and the regression's.
    bool ok() const { return mismatches == 0 && errors.empty() && images > 0; }
    void finish(const Manifest& m);    // latency, interval, accuracy from results
    void finish();                     // the same with model and expected cycles already set
    // An error when the measured interval is more than `tolerance` (a
    // fraction; < 0: no check) away from the analytical model.
    void check_interval(double tolerance);
    // A report write_json wrote (sim/report_merge joins shards' reports).
    static RunReport read_json(const std::string& path);
    // Adds the report of another model instance (run on later images).
    void merge(const RunReport& other);
    void print(std::FILE* f) const;
    void write_json(const std::string& path) const;
};

}  // namespace cnn::sim
