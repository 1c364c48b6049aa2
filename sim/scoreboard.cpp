#include "scoreboard.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <random>

#include <nlohmann/json.hpp>

#include "error.hpp"

namespace cnn::sim {
std::string Mismatch::describe() const {
    return "layer " + std::to_string(layer_index) + " '" + layer + "' row " + std::to_string(row) + " col " +
           std::to_string(col) + " channel " + std::to_string(channel) + ": expected " + std::to_string(expected) +
           ", got " + std::to_string(got);
}

Scoreboard::Scoreboard(const Manifest& m, const std::vector<Job>& jobs) : m_(m), jobs_(jobs) {
    link_layer_.assign(m.links.size(), -1);
    for (size_t i = 0; i < m.layers.size(); ++i)
        for (int k : m.layers[i].tensor_links)
            if (k >= 0 && size_t(k) < m.links.size()) link_layer_[size_t(k)] = int(i);
    link_image_.assign(m.links.size(), 0);
    link_beat_.assign(m.links.size(), 0);
    link_first_.assign(m.links.size(), {});
    link_last_.assign(m.links.size(), {});
    link_per_image_.assign(m.links.size(), 0);
    link_count_.assign(m.links.size(), 0);
    for (const auto& pe : m.pes)
        if (pe.link >= 0 && size_t(pe.link) < m.links.size()) link_per_image_[pe.link] = pe.out_beats;
    results_.resize(jobs.size());
    for (size_t i = 0; i < jobs.size(); ++i) {
        results_[i].id = jobs[i].id;
        results_[i].label = jobs[i].label;
        const auto& ref = jobs[i].golden.empty() ? jobs[i].input.data : jobs[i].golden.back().data;
        for (int32_t v : ref) results_[i].reference.push_back(output_value(v, m.output_unsigned));
    }
}

void Scoreboard::record(size_t image, int layer_index, int64_t beat, int expected, int got, const std::string& link,
                        uint64_t cycle) {
    ImageResult& r = results_[image];
    // -1 is m_axis, the last layer's output as the top delivers it.
    const int index = layer_index >= 0 ? layer_index : int(m_.layers.size()) - 1;
    if (r.first && r.first->layer_index <= index) return;  // keep the earliest layer, first beat
    const Shape s = layer_index >= 0 ? m_.layers[layer_index].out : m_.output;
    Mismatch mm;
    mm.layer = m_.layers[index].name;
    mm.layer_index = index;
    mm.channel = int(beat % s.c);
    mm.col = int((beat / s.c) % s.w);
    mm.row = int(beat / (int64_t(s.c) * s.w));
    mm.expected = expected;
    mm.got = got;
    mm.link = link;
    mm.cycle = cycle;
    r.first = mm;
}

void Scoreboard::link_beat(int link, const int8_t* values, int lanes, uint64_t cycle) {
    const int layer = link_layer_[link];
    if (layer < 0) {  // a link inside a layer (e.g. after zero padding): timing only
        const int64_t per = link_per_image_[link];
        if (per > 0) {
            const int64_t k = link_count_[link]++ % per;
            if (k == 0) link_first_[link].push_back(cycle);
            if (k + 1 == per) link_last_[link].push_back(cycle);
        }
        return;
    }
    size_t& img = link_image_[link];
    size_t& beat = link_beat_[link];   // the value index within the image
    for (int k = 0; k < lanes; ++k) {
        if (img >= jobs_.size()) {
            protocol_error("link " + m_.links[link] + ": a beat after the last image");
            return;
        }
        const auto& want = jobs_[img].golden[layer].data;
        const int8_t data = values[k];
        if (beat == 0) link_first_[link].push_back(cycle);
        if (beat + 1 == want.size()) link_last_[link].push_back(cycle);
        if (want[beat] != data) record(img, layer, int64_t(beat), want[beat], data, m_.links[link], cycle);
        if (++beat == want.size()) {
            beat = 0;
            ++img;
        }
    }
}

void Scoreboard::input_beat(uint64_t cycle, bool last) {
    if (in_image_ >= jobs_.size()) return;
    ImageResult& r = results_[in_image_];
    if (!r.seen_input) {
        r.seen_input = true;
        r.first_in_cycle = cycle;
    }
    r.last_in_cycle = cycle;
    // The driver's tlast ends an image (it may be misplaced on purpose).
    if (++in_beat_ == jobs_[in_image_].input.data.size() || last) {
        in_beat_ = 0;
        ++in_image_;
    }
}

void Scoreboard::output_beat(uint8_t byte, bool last, uint64_t cycle) {
    const int data = m_axis_value(byte, m_.output_unsigned);
    if (out_image_ >= jobs_.size()) {
        protocol_error("m_axis: a beat after the last expected result (cycle " + std::to_string(cycle) + ")");
        return;
    }
    ImageResult& r = results_[out_image_];
    r.output.push_back(data);
    const bool should_last = r.output.size() == r.reference.size();
    if (last != should_last)
        protocol_error("m_axis: tlast " + std::string(last ? "set" : "missing") + " on beat " +
                       std::to_string(r.output.size() - 1) + " of image " + std::to_string(out_image_) +
                       " (cycle " + std::to_string(cycle) + ")");
    size_t beat = r.output.size() - 1;
    if (r.reference[beat] != data) record(out_image_, -1, int64_t(beat), r.reference[beat], data, "m_axis", cycle);
    if (should_last) {
        r.last_out_cycle = cycle;
        r.match = r.output == r.reference && !r.first;  // an internal difference fails too
        // top-1 over the output vector (ties: lowest index)
        r.predicted = int(std::max_element(r.output.begin(), r.output.end()) - r.output.begin());
        ++out_image_;
    }
}

double Scoreboard::link_interval(int link) const {
    if (link < 0 || size_t(link) >= link_last_.size() || link_last_[link].empty()) return 0;
    const auto& last = link_last_[link];
    if (last.size() == 1) return double(last[0] - link_first_[link][0] + 1);
    std::vector<uint64_t> gaps;
    for (size_t i = 1; i < last.size(); ++i) gaps.push_back(last[i] - last[i - 1]);
    std::sort(gaps.begin(), gaps.end());
    return double(gaps[gaps.size() / 2]);
}

void Scoreboard::protocol_error(const std::string& e) {
    if (protocol_.size() < 20) protocol_.push_back(e);
}

}  // namespace cnn::sim
