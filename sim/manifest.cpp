#include "manifest.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <random>

#include <nlohmann/json.hpp>

#include "error.hpp"

namespace cnn::sim {

namespace {

Shape shape_of(const nlohmann::json& j) { return Shape{j.at("c").get<int>(), j.at("h").get<int>(), j.at("w").get<int>()}; }

}  // namespace

Manifest Manifest::load(const std::string& path) {
    std::ifstream f(path);
    if (!f) throw Error(path, "cannot read the manifest (run cnnc emit first)");
    nlohmann::json j;
    try {
        f >> j;
        Manifest m;
        m.model = j.at("model");
        m.source = j.at("source");
        m.input = shape_of(j.at("input"));
        m.output = shape_of(j.at("output"));
        m.input_beats = j.at("input_beats");
        m.output_beats = j.at("output_beats");
        m.expected_cycles = j.at("expected_cycles_per_image");
        m.output_unsigned = j.at("output_unsigned");
        m.links = j.at("links").get<std::vector<std::string>>();
        m.link_lanes = j.value("link_lanes", std::vector<int>(m.links.size(), 1));
        if (m.link_lanes.size() != m.links.size()) throw Error(path, "link_lanes does not match links");
        int at = 0;
        for (int lanes : m.link_lanes) {
            if (lanes < 1) throw Error(path, "a link with " + std::to_string(lanes) + " lanes");
            m.link_offset.push_back(at);
            at += lanes;
        }
        if (j.contains("input_fork"))
            m.pes.push_back({j["input_fork"].at("instance"), "cnn_fork", m.input_beats, m.input_beats,
                             j["input_fork"].at("link")});
        for (const auto& l : j.at("layers")) {
            Layer layer{l.at("name"), l.at("kind"), shape_of(l.at("out")), -1, {}};
            for (const auto& pe : l.at("pes")) {
                m.pes.push_back({pe.at("instance"), pe.at("entity"), pe.at("cycles_per_image"),
                                 pe.value("out_beats", int64_t(0)), pe.at("link")});
                layer.link = pe.at("link");
            }
            layer.tensor_links = l.value("tensor_links", std::vector<int>{});
            if (layer.tensor_links.empty() && layer.link >= 0) layer.tensor_links = {layer.link};
            m.layers.push_back(layer);
        }
        for (const auto& f : j.value("fifos", nlohmann::json::array()))
            m.fifos.push_back({f.at("instance"), f.at("depth"), f.value("planned_depth", int64_t(0)), f.at("in_link"),
                               f.at("out_link"), f.value("skip", false)});
        return m;
    } catch (const nlohmann::json::exception& e) {
        throw Error(path, std::string("malformed manifest: ") + e.what());
    }
}

int output_value(int32_t v, bool output_unsigned) { return output_unsigned ? int(v) + 128 : int(v); }

int m_axis_value(uint8_t byte, bool output_unsigned) { return output_unsigned ? int(byte) : int(int8_t(byte)); }

}  // namespace cnn::sim
