// The scoreboard: checks every beat of every observed link against the
// golden tensors, and what it finds per image.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "jobs.hpp"
#include "manifest.hpp"

namespace cnn::sim {

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
    // A beat on probe link `link` (internal streams) at `cycle`: its `lanes`
    // values (one, or a wide link's, in channel order).
    void link_beat(int link, const int8_t* data, int lanes, uint64_t cycle);
    // A beat on m_axis; checks tlast placement too.
    // (its byte as the port carries it)
    void output_beat(uint8_t byte, bool last, uint64_t cycle);
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

}  // namespace cnn::sim
