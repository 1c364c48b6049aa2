#include "jobs.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <random>

#include <nlohmann/json.hpp>

#include "error.hpp"

namespace cnn::sim {
std::vector<Job> make_jobs(const Network& net, const std::vector<Image>& images) {
    std::vector<Job> jobs;
    jobs.reserve(images.size());
    for (const Image& img : images) {
        Job j;
        j.id = img.id;
        j.label = img.label;
        j.input = quantize_input(net, img.pixels);
        j.golden = run_network(net, j.input);
        jobs.push_back(std::move(j));
    }
    return jobs;
}

std::vector<Image> random_images(const Shape& s, int n, uint64_t seed) {
    std::vector<Image> v;
    std::mt19937_64 rng(seed);
    for (int i = 0; i < n; ++i) {
        Image img;
        img.c = s.c, img.h = s.h, img.w = s.w;
        img.pixels.resize(size_t(s.size()));
        const bool zero = n >= 3 && i == n - 2, full = n >= 3 && i == n - 1;
        for (auto& p : img.pixels) p = zero ? 0 : full ? 255 : uint8_t(rng() & 0xff);
        img.id = zero ? "all-0" : full ? "all-255" : "random#" + std::to_string(seed) + "." + std::to_string(i);
        v.push_back(std::move(img));
    }
    return v;
}

std::vector<std::pair<uint8_t, bool>> input_stream(const std::vector<Job>& jobs, const RunOptions& opt) {
    std::vector<std::pair<uint8_t, bool>> beats;
    int64_t left = -opt.drop_beats;
    for (const Job& j : jobs) left += int64_t(j.input.data.size());
    for (size_t k = 0; k < jobs.size() && left > 0; ++k) {
        const auto& in = jobs[k].input.data;
        const size_t n = int64_t(k) == opt.short_image ? in.size() - 1 : in.size();
        for (size_t i = 0; i < n && left > 0; ++i, --left) beats.emplace_back(uint8_t(in[i]), i + 1 == n);
    }
    return beats;
}

uint64_t timeline_bucket(const Manifest& m, size_t images) {
    const uint64_t est = uint64_t(std::max<int64_t>(m.expected_cycles, 1)) * (images + 1) + uint64_t(m.input_beats);
    return std::max<uint64_t>(1, est / 1200);
}

}  // namespace cnn::sim
