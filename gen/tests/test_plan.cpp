// Folding to a target (gen/plan.cpp): the targets' spellings, min / mid /
// max on real models, a numeric target met with the fewest multipliers, the
// design points of explore and their Pareto front.
#include <doctest/doctest.h>

#include <cmath>
#include <sstream>

#include "emit.hpp"
#include "error.hpp"
#include "import.hpp"

using namespace cnn;

namespace {

std::string model(const char* name) { return std::string(CNN_SOURCE_DIR) + "/models/" + name; }

}  // namespace

TEST_CASE("targets: min, mid, max or a positive number of cycles; anything else is one error") {
    CHECK(parse_target("max", "--target") == kTargetMax);
    CHECK(parse_target("min", "--target") == kTargetMin);
    CHECK(parse_target("mid", "--target") == kTargetMid);
    CHECK(parse_target("12345", "--target") == 12345);
    for (const char* bad : {"0", "-3", "12x", "", "fast", "1e5", "99999999999999999999"})
        CHECK_THROWS_AS(parse_target(bad, "--target"), Error);
    for (int64_t t : {kTargetMax, kTargetMin, kTargetMid, int64_t(777)})
        CHECK(parse_target(target_name(t), "--target") == t);
}

TEST_CASE("min is one lane everywhere, max the fastest, mid between them geometrically") {
    for (const char* name : {"lenet.onnx", "zoo/conv3_mp2_gap10.onnx", "quantized/u8_dscnn_depthwise.onnx",
                             "quantized/s8_resnet_pow2.onnx"}) {
        CAPTURE(name);
        const Network net = load_network(model(name));
        const Plan lo = make_plan(net, kTargetMin), mid = make_plan(net, kTargetMid), hi = make_plan(net, kTargetMax);
        CHECK(lo.interval >= mid.interval);
        CHECK(mid.interval >= hi.interval);
        CHECK(lo.multipliers <= mid.multipliers);
        CHECK(mid.multipliers <= hi.multipliers);
        // mid meets the geometric mean of the two ends' intervals.
        CHECK(double(mid.interval) <= std::sqrt(double(lo.interval) * double(hi.interval)) + 1);
        // At min the bottleneck layer runs one lane: with every layer at one
        // lane the interval is the same.
        Network serial = net;
        plan_parallelism(serial, 0, 1);
        for (Layer& l : serial.layers) l.par_in = l.par_out = l.par_ky = l.par_kx = l.lanes_in = l.lanes_out = 1;
        CHECK(build_design(serial).expected_cycles == lo.interval);
        // Each plan's rows: the slowest layer is the interval.
        int64_t worst = 0;
        for (const PlanRow& r : mid.rows) worst = std::max(worst, r.cycles);
        CHECK(worst == mid.interval);
    }
}

TEST_CASE("a numeric target is met with the fewest multipliers, or raised to what the pipeline reaches") {
    const Network net = load_network(model("lenet.onnx"));
    const Plan hi = make_plan(net, kTargetMax), lo = make_plan(net, kTargetMin);
    for (int64_t t : {lo.interval, lo.interval / 2, lo.interval / 5, hi.interval * 2, hi.interval}) {
        CAPTURE(t);
        const Plan p = make_plan(net, t);
        CHECK(p.interval <= t);
        // One multiplier less on any layer (one lane fewer on one axis) misses t.
        Network planned = net;
        plan_parallelism(planned, t);
        for (size_t i = 0; i < planned.layers.size(); ++i) {
            for (int axis = 0; axis < 4; ++axis) {
                Network fewer = planned;
                Layer& l = fewer.layers[i];
                int& knob = axis == 0 ? l.par_in : axis == 1 ? l.par_out : axis == 2 ? l.par_ky : l.par_kx;
                if (!l.has_weights() || knob == 1) continue;
                --knob;
                plan_lanes(fewer, std::max(t, hi.interval));
                CHECK_MESSAGE(build_design(fewer).expected_cycles > t,
                              "layer " << i << " axis " << axis << " has more parallelism than target " << t << " needs");
            }
        }
    }
    // Below the fastest pipeline: raised to it, never an error.
    CHECK(make_plan(net, 1).interval == hi.interval);
}

TEST_CASE("explore: distinct designs from min to max, faster ones cost more multipliers, the fastest on the front") {
    const Network net = load_network(model("lenet.onnx"));
    const auto v = explore(net, 8);
    REQUIRE(v.size() >= 6);
    CHECK(v.front().plan.interval == make_plan(net, kTargetMin).interval);
    CHECK(v.back().plan.interval == make_plan(net, kTargetMax).interval);
    for (size_t k = 1; k < v.size(); ++k) {
        CHECK(v[k].plan.interval <= v[k - 1].plan.interval);
        CHECK(v[k].plan.multipliers >= v[k - 1].plan.multipliers);
    }
    CHECK(v.back().pareto);
    CHECK_THROWS_AS(explore(net, 1), Error);
    std::ostringstream os;
    print_plan(v.back().plan, 100, os);
    CHECK(os.str().find("bottleneck") != std::string::npos);
    CHECK(os.str().find("images/s at 100 MHz") != std::string::npos);
}

TEST_CASE("among foldings of as few multipliers that meet the target, the planner takes the fewest estimated LUTs") {
    const Network net = load_network(model("lenet.onnx"));
    const Plan lo = make_plan(net, kTargetMin), hi = make_plan(net, kTargetMax);
    for (int64_t t : {lo.interval / 3, lo.interval / 9, hi.interval * 3, hi.interval}) {
        CAPTURE(t);
        Network planned = net;
        plan_parallelism(planned, t);
        const int64_t bound = std::max(t, hi.interval);  // the target as the planner raises it
        for (size_t i = 0; i < planned.layers.size(); ++i) {
            const Layer& l = planned.layers[i];
            if (l.kind != LayerKind::Conv) continue;
            auto luts = [&](const Layer& x) {
                double s = 0;
                for (const PeModel& pe : layer_pes(x, i)) s += pe.res.lut + pe.res.lutram;
                return s;
            };
            auto cycles = [&](const Layer& x) {
                int64_t c = 0;
                for (const PeModel& pe : layer_pes(x, i)) c = std::max(c, pe.cycles);
                return c;
            };
            for (int pi = 1; pi <= l.in.c; ++pi)
                for (int po = 1; po <= l.out.c; ++po)
                    for (int pk = 1; pk <= l.kernel_h; ++pk)
                        for (int px = 1; px <= l.kernel_w; ++px) {
                            Network y = planned;
                            Layer& x = y.layers[i];
                            x.par_in = pi, x.par_out = po, x.par_ky = pk, x.par_kx = px;
                            if (layer_multipliers(x) != layer_multipliers(l)) continue;
                            plan_lanes(y, bound);  // its lanes, as the planner would set them
                            if (cycles(x) > bound) continue;
                            CHECK_MESSAGE(luts(x) >= luts(l), "layer " << i << ": " << pi << "x" << po << "x" << pk
                                                                       << "x" << px << " meets " << bound
                                                                       << " with fewer LUTs");
                        }
        }
    }
}
