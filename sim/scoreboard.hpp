// The model-agnostic half of the harness: what the hardware was built from
// (the manifest cnnc emit wrote), the images and their golden tensors, the
// scoreboard that checks every beat of every observed link, and the run
// report of SPEC §4. The cycle loop (harness.hpp) is compiled per model.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "exec.hpp"
#include "images.hpp"
#include "ir.hpp"

namespace cnn::sim {

struct Manifest {
    std::string model, source;
    Shape input, output;
    int64_t input_beats = 0, output_beats = 0, expected_cycles = 0;
    std::vector<std::string> links;       // probe index -> link name
    struct Layer {
        std::string name, kind;
        Shape out;
        int link = -1;                    // probe index of the layer's output link
    };
    std::vector<Layer> layers;
    struct Pe {
        std::string instance, entity;
        int64_t cycles = 0, out_beats = 0;   // cycle model, beats per image on its output link
        int link = -1;                    // probe index of the PE's output link
    };
    std::vector<Pe> pes;

    static Manifest load(const std::string& path);
};

// One image: what is streamed and what every layer must produce.
struct Job {
    std::string id;
    int label = -1;
    QTensor input;                 // quantized, HWC: the beats of s_axis
    std::vector<QTensor> golden;   // per layer, HWC
};

std::vector<Job> make_jobs(const Network& net, const std::vector<Image>& images);

struct RunOptions;
// The beats the driver streams into s_axis (data, tlast), fault injection
// (short_image, drop_beats) applied: what every simulator is fed.
std::vector<std::pair<uint8_t, bool>> input_stream(const std::vector<Job>& jobs, const RunOptions& opt);
// The cycles one timeline sample spans: about 1,200 samples over the run.
uint64_t timeline_bucket(const Manifest& m, size_t images);
// Seeded uniform random pixels, plus one all-0 and one all-255 image when n >= 3.
std::vector<Image> random_images(const Shape& s, int n, uint64_t seed);

struct Mismatch {
    std::string layer;             // layer name ("output" for m_axis)
    int layer_index = -1;
    int row = 0, col = 0, channel = 0;
    int expected = 0, got = 0;
    std::string link;              // the probe link (or "m_axis") the wrong beat was seen on
    uint64_t cycle = 0;            // when it transferred (cycles of its model instance)
    std::string describe() const;
};

struct ImageResult {
    std::string id;
    int label = -1, predicted = -1;
    std::vector<int> output, reference;
    bool match = false;
    std::optional<Mismatch> first;     // earliest layer with a difference
    uint64_t first_in_cycle = 0, last_in_cycle = 0, last_out_cycle = 0;
    bool seen_input = false;
    int instance = 0;                  // which model instance ran it (cycles are per instance)
};

// Checks every beat on every observed link against the golden tensors.
class Scoreboard {
public:
    Scoreboard(const Manifest& m, const std::vector<Job>& jobs);
    // A beat on probe link `link` (internal streams) at `cycle`.
    void link_beat(int link, int8_t data, uint64_t cycle);
    // A beat on m_axis; checks tlast placement too.
    void output_beat(int8_t data, bool last, uint64_t cycle);
    void input_beat(uint64_t cycle, bool last);    // a beat accepted on s_axis
    bool done() const { return out_image_ == jobs_.size(); }
    size_t images_out() const { return out_image_; }
    // The beat m_axis owes next: its index within image images_out().
    size_t out_beat() const { return done() ? 0 : results_[out_image_].output.size(); }
    std::vector<ImageResult>& results() { return results_; }
    const std::vector<std::string>& protocol_errors() const { return protocol_; }
    void protocol_error(const std::string& e);
    // The median cycles between the last beats of consecutive images on a
    // link (its measured interval); with one image, its first to last beat.
    double link_interval(int link) const;

private:
    void record(size_t image, int layer_index, int64_t beat, int expected, int got, const std::string& link,
                uint64_t cycle);
    const Manifest& m_;
    const std::vector<Job>& jobs_;
    std::vector<int> link_layer_;                   // probe index -> layer index or -1
    std::vector<size_t> link_image_, link_beat_;    // per probe link: position
    std::vector<std::vector<uint64_t>> link_first_, link_last_;   // per probe link, per image: cycles
    std::vector<int64_t> link_per_image_;           // per probe link: beats per image (0: unknown)
    std::vector<int64_t> link_count_;               // per probe link: beats seen
    std::vector<ImageResult> results_;
    size_t in_image_ = 0, in_beat_ = 0, out_image_ = 0;
    std::vector<std::string> protocol_;
};

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
    // Per-PE busy / starved / blocked cycles per bucket of timeline_bucket
    // cycles, of model instance 0 (its images, its cycles): [bucket][pe].
    uint64_t timeline_bucket = 1;
    std::vector<std::vector<std::array<uint32_t, 3>>> timeline;
    std::string simulator = "verilator";

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
