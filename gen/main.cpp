// cnnc: the command-line front of gen/. Prints one clear line per error and
// exits non-zero.
//
//   cnnc table MODEL [--images N]        the layer table (shapes, f, MACs, rail %)
//   cnnc check MODEL                     legality only: silent and 0 when accepted
//   cnnc dump MODEL [--image FILE | --seed N] [--resize]
//                                        every layer's output tensor of the golden model
#include <cstdlib>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "error.hpp"
#include "exec.hpp"
#include "images.hpp"
#include "import.hpp"
#include "passes.hpp"
#include "table.hpp"

namespace {

int usage() {
    std::cerr << "usage: cnnc table MODEL [--images N]\n"
                 "       cnnc check MODEL\n"
                 "       cnnc dump MODEL [--image FILE | --seed N] [--resize]\n";
    return 2;
}

std::string option(const std::vector<std::string>& args, const std::string& name, const std::string& dflt) {
    for (size_t i = 0; i + 1 < args.size(); ++i)
        if (args[i] == name) return args[i + 1];
    return dflt;
}

bool flag(const std::vector<std::string>& args, const std::string& name) {
    for (const auto& a : args)
        if (a == name) return true;
    return false;
}

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

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.size() < 2) return usage();
    const std::string cmd = args[0], model = args[1];
    try {
        if (cmd == "table") {
            cnn::Network net = cnn::load_network(model);
            cnn::print_layer_table(net, std::cout, to_int(option(args, "--images", "16"), "--images"));
            return 0;
        }
        if (cmd == "check") {
            cnn::load_network(model);
            return 0;
        }
        if (cmd == "dump") return dump(cnn::load_network(model), args);
        return usage();
    } catch (const cnn::LegalityError& e) {
        for (const auto& line : e.lines()) std::cerr << "cnnc: " << model << ": " << line << "\n";
        return 1;
    } catch (const cnn::Error& e) {
        std::cerr << "cnnc: " << e.what() << "\n";
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "cnnc: " << model << ": internal error: " << e.what() << "\n";
        return 3;
    }
}
