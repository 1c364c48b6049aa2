// How a run is driven: stalls, seed, clock, tracing, instances, fault injection.
#pragma once

#include <cstdint>
#include <string>

namespace cnn::sim {

struct RunOptions {
    std::string stall = "off";     // off | random | heavy (both sides)
    uint64_t seed = 1;
    double clock_mhz = 100.0;
    std::string trace;             // FST path, "" = none
    uint64_t trace_from = 0, trace_cycles = 200000;
    bool progress = true;
    int64_t short_image = -1;      // fault injection: send this image one beat short
    int64_t drop_beats = 0;        // fault injection: withhold the run's last N input beats
    int threads = 1;               // model instances run in parallel, each on a share of the images
    std::string events;            // file of every beat with its cycle (I/O/L lines, sim/cnn_tb.vhd's format)
    int instance = 0;              // the first model instance's number (a --shard K/N run is instance K)
    double interval_tolerance = -1;   // >= 0: the measured interval must be within this fraction of the model
};

}  // namespace cnn::sim
