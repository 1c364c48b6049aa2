// The images of a run and their golden tensors, and the beats streamed in.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "exec.hpp"
#include "images.hpp"
#include "ir.hpp"
#include "manifest.hpp"
#include "run_options.hpp"

namespace cnn::sim {

// One image: what is streamed and what every layer must produce.
struct Job {
    std::string id;
    int label = -1;
    QTensor input;                 // quantized, HWC: the beats of s_axis
    std::vector<QTensor> golden;   // per layer, HWC
};

std::vector<Job> make_jobs(const Network& net, const std::vector<Image>& images);

// The beats the driver streams into s_axis (data, tlast), fault injection
// (short_image, drop_beats) applied: what every simulator is fed.
std::vector<std::pair<uint8_t, bool>> input_stream(const std::vector<Job>& jobs, const RunOptions& opt);
// The cycles one timeline sample spans: about 1,200 samples over the run.
uint64_t timeline_bucket(const Manifest& m, size_t images);
// Seeded uniform random pixels, plus one all-0 and one all-255 image when n >= 3.
std::vector<Image> random_images(const Shape& s, int n, uint64_t seed);

}  // namespace cnn::sim
