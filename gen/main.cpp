// cnnc: the command-line front of gen/. Prints one clear line per error and
// exits non-zero.
//
//   cnnc table MODEL [--images N]        the layer table (shapes, f, MACs, saturation)
//   cnnc check MODEL [--estimate]        everything emit decides (legality, the resource guard,
//                                        the design) without writing: silent and 0 when accepted
//                                        (--estimate: print the guard's figures first)
//   cnnc dump MODEL [--image FILE | --seed N] [--resize]
//                                        every layer's output tensor of the golden model
//   cnnc quantize FLOAT.onnx --calib IMAGES [--count N] --out OUT.onnx [--qdq]
//                [--calibration minmax|percentile|entropy|mse] [--percentile P]
//                [--scales pow2|float] [--per-channel] [--activations int8|uint8] [--asymmetric] [--no-import]
//                                        float model + calibration images -> quantized model
//                                        (quantize.hpp; --method is --calibration's old name)
//   cnnc eval MODEL --images IMAGES [--count N]
//                                        top-1 accuracy (float: interpreter; quantized: executor)
//   cnnc pngs FILE.idx --out DIR [--count N]   an IDX file as PNGs (<i>_label<N>.png)
//   cnnc emit MODEL --out DIR [--par auto|N] [--target min|mid|max|CYCLES]
//                                        the VHDL top, weights package and manifest
//   cnnc plan MODEL [--target min|mid|max|CYCLES] [--clock-mhz F]
//                                        each layer's folding, cycles and estimated resources
//   cnnc explore MODEL --out DIR [--points N]
//                                        design points from the fewest multipliers to the
//                                        fastest pipeline: DIR/explore.json and explore.md
// check, emit, table, dump and eval first run the resource guard (resource_guard.hpp):
// --max-tensor-bytes, --max-rom-bits, --max-multipliers, --max-buffer-bits,
// --max-build-bytes N (or CNN_MAX_* in the environment) raise its limits.
//
// Exit codes: 0 done, 1 a user error (a bad model, image, option or a model
// too large; one line on stderr), 2 usage, 3 an internal error (a bug).
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <random>
#include <string>
#include <filesystem>
#include <fstream>
#include <new>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "emit.hpp"
#include "error.hpp"
#include "exec.hpp"
#include "images.hpp"
#include "import.hpp"
#include "interp.hpp"
#include "options.hpp"
#include "onnx_graph.hpp"
#include "passes.hpp"
#include "quantize.hpp"
#include "resource_guard.hpp"
#include "strings.hpp"
#include "table.hpp"

namespace {

int usage() {
    std::cerr << "usage: cnnc table MODEL [--images N]\n"
                 "       cnnc check MODEL [--estimate]\n"
                 "       cnnc dump MODEL [--image FILE | --seed N] [--resize]\n"
                 "       cnnc emit MODEL --out DIR [--par auto|N] [--target min|mid|max|CYCLES] [--fifo NAME=DEPTH,...]\n"
                 "       cnnc plan MODEL [--par auto|N] [--target min|mid|max|CYCLES] [--clock-mhz F]\n"
                 "       cnnc explore MODEL --out DIR [--points N]\n"
                 "       cnnc quantize FLOAT.onnx --calib IMAGES [--count N] --out OUT.onnx [--qdq]\n"
                 "                     [--calibration minmax|percentile|entropy|mse] [--percentile P]\n"
                 "                     [--scales pow2|float] [--per-channel] [--activations int8|uint8] [--asymmetric] [--no-import]\n"
                 "       cnnc eval MODEL --images IMAGES [--count N]\n"
                 "       cnnc pngs FILE.idx --out DIR [--count N]\n"
                 "check, emit, table, dump, eval: [--max-tensor-bytes N] [--max-rom-bits N] [--max-multipliers N]\n"
                 "                                [--max-buffer-bits N] [--max-build-bytes N] (0 = no limit)\n";
    return 2;
}

// The one option parser of cnnc and the simulators (lib/options.hpp): the last occurrence wins.
std::string option(const std::vector<std::string>& args, const std::string& name, const std::string& dflt) {
    return cnn::Options{args}.get(name, dflt);
}

bool flag(const std::vector<std::string>& args, const std::string& name) { return cnn::Options{args}.has(name); }

int to_int(const std::string& s, const std::string& what) {
    try {
        size_t used = 0;
        int v = std::stoi(s, &used);
        if (used == s.size()) return v;
    } catch (const std::exception&) {
    }
    throw cnn::Error(what, "'" + s + "' is not a whole number");
}

void print_tensor(const cnn::QTensor& t, std::ostream& os) {
    for (int ch = 0; ch < t.shape.c; ++ch) {
        os << "  channel " << ch << ":\n";
        for (int y = 0; y < t.shape.h; ++y) {
            os << "   ";
            for (int x = 0; x < t.shape.w; ++x) os << ' ' << t.at(y, x, ch);
            os << '\n';
        }
    }
}

int dump(const cnn::Network& net, const std::vector<std::string>& args) {
    std::vector<uint8_t> pixels;
    std::string image = option(args, "--image", "");
    if (!image.empty()) {
        auto imgs = cnn::load_images(image, {net.input.c, net.input.h, net.input.w, flag(args, "--resize")}, 1);
        pixels = imgs.at(0).pixels;
        std::cout << "image " << imgs[0].id << "\n";
    } else {
        std::mt19937 rng(unsigned(to_int(option(args, "--seed", "1"), "--seed")));
        pixels.resize(size_t(net.input.size()));
        for (auto& p : pixels) p = uint8_t(rng() & 0xff);
        std::cout << "random image, seed " << option(args, "--seed", "1") << "\n";
    }
    cnn::QTensor in = cnn::quantize_input(net, pixels);
    std::cout << "input " << cnn::to_string(in.shape) << " f=" << net.f_input << "\n";
    print_tensor(in, std::cout);
    auto outs = cnn::run_network(net, in);
    for (size_t i = 0; i < outs.size(); ++i) {
        const cnn::Layer& l = net.layers[i];
        std::cout << "layer " << i << " " << l.name << " (" << cnn::kind_name(l.kind) << ") "
                  << cnn::to_string(outs[i].shape) << " f=" << l.f_out << "\n";
        print_tensor(outs[i], std::cout);
    }
    return 0;
}

double to_double(const std::string& s, const std::string& what) {
    try {
        size_t used = 0;
        double v = std::stod(s, &used);
        if (used == s.size()) return v;
    } catch (const std::exception&) {
    }
    throw cnn::Error(what, "'" + s + "' is not a number");
}

std::string required(const std::vector<std::string>& args, const std::string& name) {
    std::string v = option(args, name, "");
    if (v.empty()) throw cnn::Error(name, "is required");
    return v;
}

int quantize(const std::string& model, const std::vector<std::string>& args) {
    const std::string calib = required(args, "--calib"), out = required(args, "--out");
    const int count = to_int(option(args, "--count", "1000"), "--count");
    cnn::QuantizeOptions opt;
    opt.qdq = flag(args, "--qdq");
    const std::string method = option(args, "--method", "");
    opt.method = cnn::parse_calibration(option(args, "--calibration", method.empty() ? "percentile" : method),
                                        method.empty() ? "--calibration" : "--method");
    opt.percentile = to_double(option(args, "--percentile", "99.99"), "--percentile");
    if (opt.percentile <= 0.0 || opt.percentile > 100.0) throw cnn::Error("--percentile", "must be in (0, 100]");
    opt.scales = cnn::parse_scales(option(args, "--scales", "pow2"));
    opt.per_channel = flag(args, "--per-channel");
    const std::string acts = option(args, "--activations", "int8");
    if (acts != "int8" && acts != "uint8") throw cnn::Error("--activations", "'" + acts + "' is not one of int8, uint8");
    opt.activations_uint8 = acts == "uint8";
    opt.asymmetric = flag(args, "--asymmetric");
    opt.validate();
    // --no-import: write the file without reading it back through the importer
    // (for graphs the importer does not read yet; onnxruntime runs the file).
    const bool no_import = flag(args, "--no-import");

    cnn::onnx::Graph g = cnn::onnx::load_model(model);
    if (g.inputs.size() != 1 || g.inputs[0].dims.size() != 4)
        throw cnn::Error(model, "the graph input must be [1, C, H, W]");
    const auto& d = g.inputs[0].dims;
    auto imgs = cnn::load_images(calib, {int(d[1]), int(d[2]), int(d[3])}, size_t(std::max(0, count)));
    std::vector<std::vector<uint8_t>> pixels;
    for (auto& im : imgs) pixels.push_back(std::move(im.pixels));
    if (opt.scales == cnn::ScaleKind::Pow2 && !no_import) {  // imported back before anything is written
        cnn::QuantizeResult r = cnn::quantize_model(g, pixels, opt, model);
        cnn::onnx::save_model(r.graph, out);
        std::cout << "quantized " << model << " -> " << out << "\n";
        cnn::print_quantize_report(r, opt, std::cout);
        return 0;
    }
    // Float scales: the file is written (onnxruntime runs it) before the import
    // back, whose refusal is then one line naming the written file.
    cnn::QuantizeResult r = cnn::quantize_graph(g, pixels, opt, model);
    cnn::onnx::save_model(r.graph, out);
    std::cout << "quantized " << model << " -> " << out << "\n";
    cnn::print_quantize_points(r, opt, std::cout);
    if (no_import) {
        std::cout << "not read back (--no-import)\n";
        return 0;
    }
    std::cout.flush();
    try {
        cnn::import_back(r, pixels, out);
    } catch (const cnn::LegalityError& e) {
        throw cnn::Error(out, "written, but reading it back fails: " + (e.lines().empty() ? std::string(e.what()) : e.lines()[0]));
    } catch (const cnn::Error& e) {
        throw cnn::Error(out, std::string("written, but reading it back fails: ") + e.what());
    }
    cnn::print_quantize_report(r, opt, std::cout);
    return 0;
}

int64_t target_of(const std::vector<std::string>& args) {
    return cnn::parse_target(option(args, "--target", "max"), "--target");
}
int par_of(const std::vector<std::string>& args) {
    const std::string par = option(args, "--par", "auto");
    return par == "auto" ? 0 : to_int(par, "--par");
}

void guard(const cnn::Network& net, const std::vector<std::string>& args, bool hardware);

int eval(const std::string& model, const std::vector<std::string>& args) {
    const std::string images = required(args, "--images");
    const int count = to_int(option(args, "--count", "0"), "--count");
    cnn::onnx::Graph g = cnn::onnx::load_model(model);
    const bool is_float = cnn::is_float_model(g);
    cnn::Network net;
    cnn::ImageSpec spec{0, 0, 0};
    if (is_float) {
        if (g.inputs.size() != 1 || g.inputs[0].dims.size() != 4)
            throw cnn::Error(model, "the graph input must be [1, C, H, W]");
        spec = {int(g.inputs[0].dims[1]), int(g.inputs[0].dims[2]), int(g.inputs[0].dims[3])};
    } else {
        net = cnn::load_network(model);
        guard(net, args, false);
        spec = {net.input.c, net.input.h, net.input.w};
    }
    // A bad image in a folder is reported and skipped; the run ends non-zero.
    size_t skipped = 0;
    auto imgs = cnn::load_images(images, spec, size_t(std::max(0, count)), [&](const cnn::Error& e) {
        std::cerr << "cnnc: skipped: " << cnn::printable(e.what()) << "\n";
        ++skipped;
    });
    const auto t0 = std::chrono::steady_clock::now();
    int labelled = 0, correct = 0;
    for (const auto& im : imgs) {
        int predicted;
        if (is_float) {
            auto out = cnn::onnx::run(g, {{g.inputs[0].name, cnn::float_graph_input(g, im.pixels)}});
            predicted = cnn::argmax_first(out.at(g.outputs[0].name).data);
        } else {
            predicted = cnn::argmax_first(cnn::run_network(net, cnn::quantize_input(net, im.pixels)).back().data);
        }
        if (im.label >= 0) {
            ++labelled;
            correct += predicted == im.label;
        }
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::cout << model << " (" << (is_float ? "float, interpreter" : "quantized, integer executor") << "): "
              << imgs.size() << " images";
    if (labelled > 0) {
        char buf[128];
        std::snprintf(buf, sizeof buf, ", accuracy %.2f%% (%d/%d)", 100.0 * correct / labelled, correct, labelled);
        std::cout << buf;
    } else {
        std::cout << ", no labels";
    }
    char buf[128];
    std::snprintf(buf, sizeof buf, ", %.2f s (%.3f ms/image)\n", secs, 1000.0 * secs / double(imgs.size()));
    std::cout << buf;
    if (skipped > 0) {
        std::cerr << "cnnc: " << images << ": " << skipped << " unreadable image(s) skipped\n";
        return 1;
    }
    return 0;
}

// The guard before any heavy work: check and emit judge the planned
// hardware (the same plan, so they agree), table and dump only the golden
// model's memory.
void guard(const cnn::Network& net, const std::vector<std::string>& args, bool hardware) {
    cnn::guard_network(net, cnn::ResourceLimits::from(args), hardware, target_of(args), par_of(args));
}

// --fifo NAME=DEPTH[,NAME=DEPTH...]: FIFO depths replacing the planned ones;
// NAME "skip" sets every skip FIFO, DEPTH "full" a whole tensor (and a row).
cnn::FifoOverrides fifo_overrides(const std::vector<std::string>& args) {
    cnn::FifoOverrides o;
    for (size_t i = 0; i + 1 < args.size(); ++i) {
        if (args[i] != "--fifo") continue;
        std::string list = args[i + 1];
        size_t pos = 0;
        while (pos <= list.size()) {
            const size_t comma = std::min(list.find(',', pos), list.size());
            const std::string item = list.substr(pos, comma - pos);
            const size_t eq = item.find('=');
            if (eq == std::string::npos || eq == 0)
                throw cnn::Error("--fifo " + list, "'" + item + "' is not NAME=DEPTH");
            const std::string v = item.substr(eq + 1);
            const int64_t d = v == "full" ? -1 : to_int(v, "--fifo " + item.substr(0, eq));
            if (d == 0 || d < -1 || d > (int64_t(1) << 22))
                throw cnn::Error("--fifo " + item, "a depth is 1 .. 4194304 beats or 'full'");
            o[item.substr(0, eq)] = d;
            pos = comma + 1;
        }
    }
    return o;
}

// cnnc explore: the design points as JSON (sim/plot_explore.py draws them)
// and as a Markdown table, both in --out DIR; the table also on stdout.
int explore(const std::string& model, const std::vector<std::string>& args) {
    const std::string dir = required(args, "--out");
    cnn::Network net = cnn::load_network(model);
    guard(net, args, true);
    const auto points = cnn::explore(net, to_int(option(args, "--points", "8"), "--points"));
    nlohmann::json j = {{"model", cnn::printable(model)}, {"network", cnn::printable(net.name)},
                        {"input_beats", net.input.size()}, {"points", nlohmann::json::array()}};
    std::string md = "| interval (cycles) | multipliers | LUT | FF | DSP | BRAM36 | Pareto | target | folding |\n"
                     "|---:|---:|---:|---:|---:|---:|:---:|---:|---|\n";
    for (const auto& e : points) {
        const cnn::Plan& p = e.plan;
        nlohmann::json layers = nlohmann::json::array();
        std::string fold;
        for (const auto& r : p.rows) {
            layers.push_back({{"layer", cnn::printable(r.layer)}, {"kind", r.kind}, {"folding", r.folding},
                              {"cycles", r.cycles}, {"multipliers", r.multipliers},
                              {"lut", r.res.lut}, {"lutram", r.res.lutram}, {"ff", r.res.ff},
                              {"dsp", r.res.dsp}, {"bram36", r.res.bram36}});
            if (r.folding != "-") fold += (fold.empty() ? "" : " ") + r.folding;
        }
        const std::string t = cnn::target_name(p.target);
        j["points"].push_back({{"target", t}, {"interval_cycles", p.interval}, {"multipliers", p.multipliers},
                               {"lut", p.total.lut}, {"lutram", p.total.lutram}, {"ff", p.total.ff},
                               {"dsp", p.total.dsp}, {"bram36", p.total.bram36}, {"pareto", e.pareto},
                               {"layers", layers}});
        char buf[256];
        std::snprintf(buf, sizeof buf, "| %lld | %lld | %.0f | %.0f | %.0f | %.1f | %s | %s | ", (long long)p.interval,
                      (long long)p.multipliers, p.total.lut + p.total.lutram, p.total.ff, p.total.dsp,
                      p.total.bram36, e.pareto ? "yes" : "", t.c_str());
        md += buf + fold + " |\n";
    }
    std::filesystem::create_directories(dir);
    std::ofstream(dir + "/explore.json") << j.dump(1) << "\n";
    std::ofstream(dir + "/explore.md") << md;
    std::cout << net.name << ": " << points.size() << " design points (input " << net.input.size()
              << " beats per image; LUT includes LUT-RAM; folding per weighted layer: par_in x par_out x par_ky)\n"
              << md << "-> " << dir << "/explore.json, explore.md\n";
    return 0;
}

// One line on stderr, whatever bytes the message holds (names and paths
// come from files); returns the user-error exit code.
int fail(const std::string& message) {
    std::cerr << "cnnc: " << cnn::printable(message) << "\n";
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.size() < 2) return usage();
    const std::string cmd = args[0], model = args[1];
    try {
        if (cmd == "table") {
            cnn::Network net = cnn::load_network(model);
            guard(net, args, false);
            cnn::print_layer_table(net, std::cout, to_int(option(args, "--images", "16"), "--images"));
            return 0;
        }
        if (cmd == "check") {
            cnn::Network net = cnn::load_network(model);
            if (flag(args, "--estimate")) {  // the guard's figures, before it judges them
                cnn::Network planned = net;
                cnn::plan_parallelism(planned, target_of(args), par_of(args));
                const cnn::ResourceEstimate e = cnn::estimate_resources(planned);
                std::printf("%s: tensor_bytes %.0f rom_bits %.0f multipliers %.0f buffer_bits %.0f "
                            "pes %.0f cpp_bytes %.0f build_bytes %.0f\n", model.c_str(), e.tensor_bytes, e.rom_bits,
                            e.multipliers, e.buffer_bits, e.pes, e.cpp_bytes, e.build_bytes);
            }
            guard(net, args, true);
            // What emit decides, without writing it: check and emit agree.
            cnn::plan_parallelism(net, target_of(args), par_of(args));
            cnn::build_design(net);
            return 0;
        }
        if (cmd == "dump") {
            cnn::Network net = cnn::load_network(model);
            guard(net, args, false);
            return dump(net, args);
        }
        if (cmd == "pngs") {
            // cnnc pngs FILE.idx --out DIR [--count N]: an IDX file as a folder of PNGs.
            std::string dir = option(args, "--out", "");
            if (dir.empty()) return usage();
            cnn::IdxArray idx = cnn::read_idx(model);
            if (idx.dims.size() < 3) throw cnn::Error(model, "not an IDX image file (dims [N,H,W] or [N,H,W,C])");
            int c = idx.dims.size() > 3 ? int(idx.dims[3]) : 1;
            auto imgs = cnn::load_images(model, {c, int(idx.dims[1]), int(idx.dims[2])},
                                         size_t(to_int(option(args, "--count", "0"), "--count")));
            cnn::write_pngs(dir, imgs);
            std::cout << "cnnc: " << imgs.size() << " PNGs -> " << dir << "\n";
            return 0;
        }
        if (cmd == "quantize") return quantize(model, args);
        if (cmd == "eval") return eval(model, args);
        if (cmd == "plan") {
            cnn::Network net = cnn::load_network(model);
            guard(net, args, true);
            const cnn::Plan p = cnn::make_plan(net, target_of(args), par_of(args));
            cnn::print_plan(p, to_double(option(args, "--clock-mhz", "0"), "--clock-mhz"), std::cout);
            return 0;
        }
        if (cmd == "explore") return explore(model, args);
        if (cmd == "emit") {
            std::string dir = option(args, "--out", "");
            if (dir.empty()) return usage();
            cnn::Network net = cnn::load_network(model);
            guard(net, args, true);
            cnn::plan_parallelism(net, target_of(args), par_of(args));
            cnn::Design d = cnn::build_design(net, fifo_overrides(args));
            cnn::write_design(d, dir);
            std::cout << "cnnc: " << net.name << ": " << d.pes.size() << " PEs, expected "
                      << d.expected_cycles << " cycles per image -> " << dir << "\n";
            return 0;
        }
        return usage();
    } catch (const cnn::LegalityError& e) {
        for (const auto& line : e.lines()) fail(model + ": " + line);
        return 1;
    } catch (const cnn::Error& e) {
        return fail(e.what());
    } catch (const std::bad_alloc&) {
        return fail(model + ": out of memory (the model or its images are too large for this machine)");
    } catch (const std::length_error&) {
        return fail(model + ": a size beyond what this machine can hold (the model is too large)");
    } catch (const std::filesystem::filesystem_error& e) {
        return fail(e.path1().string() + ": " + e.code().message());
    } catch (const nlohmann::json::exception& e) {
        return fail(model + ": JSON: " + e.what());
    } catch (const cv::Exception& e) {
        return fail(model + ": OpenCV: " + e.err + (e.func.empty() ? "" : " (in " + e.func + ")"));
    } catch (const std::exception& e) {
        std::cerr << "cnnc: " << cnn::printable(model) << ": internal error: " << cnn::printable(e.what()) << "\n";
        return 3;
    }
}
