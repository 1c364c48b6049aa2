// regress_report DIR REPORT.json...: the regression's summary table and
// JUnit XML (DIR/junit.xml) from the simulators' JSON reports. A run fails
// when its report is missing, it has a mismatch or an error, or (with no
// stalls) its measured interval is more than 10% away from the analytical
// model. Exit code 1 when any run failed.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace {

constexpr double kTolerance = 0.10;

struct Row {
    std::string name, stall, failure;
    nlohmann::json j;
};

std::string xml_escape(const std::string& s) {
    std::string o;
    for (char c : s) {
        switch (c) {
            case '<': o += "&lt;"; break;
            case '>': o += "&gt;"; break;
            case '&': o += "&amp;"; break;
            case '"': o += "&quot;"; break;
            default: o += c;
        }
    }
    return o;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: regress_report DIR REPORT.json...\n");
        return 2;
    }
    const std::string dir = argv[1];
    std::vector<Row> rows;
    for (int i = 2; i < argc; ++i) {
        std::string path = argv[i];
        std::string base = path.substr(path.find_last_of('/') + 1);
        base = base.substr(0, base.size() - 5);  // .json
        Row r;
        r.stall = base.substr(base.rfind('.') + 1);
        r.name = base.substr(0, base.rfind('.'));
        std::ifstream f(path);
        if (!f) {
            r.failure = "no report (build or run failed; see " + dir + "/" + r.name + ".build.log / " + base + ".log)";
        } else {
            try {
                f >> r.j;
                if (r.j.at("mismatches").get<int>() > 0)
                    r.failure = std::to_string(r.j.at("mismatches").get<int>()) + " mismatching images";
                else if (!r.j.at("errors").empty())
                    r.failure = r.j.at("errors")[0].get<std::string>();
                else if (r.stall == "off") {
                    double ratio = r.j.at("interval_cycles").get<double>() /
                                   std::max(1.0, r.j.at("expected_cycles_per_image").get<double>());
                    if (std::abs(ratio - 1.0) > kTolerance)
                        r.failure = "interval " + std::to_string(ratio) + "x the analytical model (tolerance 10%)";
                }
            } catch (const std::exception& e) {
                r.failure = std::string("malformed report: ") + e.what();
            }
        }
        rows.push_back(r);
    }

    int failed = 0;
    std::printf("%-38s %-7s %6s %5s %10s %10s %10s %7s %8s  %s\n", "model", "stall", "images", "mism", "latency",
                "interval", "model", "ratio", "Mcyc/s", "result");
    for (const Row& r : rows) {
        if (!r.failure.empty()) ++failed;
        if (r.j.is_null()) {
            std::printf("%-38s %-7s %6s %5s %10s %10s %10s %7s %8s  FAIL: %s\n", r.name.c_str(), r.stall.c_str(), "-",
                        "-", "-", "-", "-", "-", "-", r.failure.c_str());
            continue;
        }
        const double iv = r.j.value("interval_cycles", 0.0), ex = r.j.value("expected_cycles_per_image", 0.0);
        std::printf("%-38s %-7s %6d %5d %10.0f %10.0f %10.0f %7.3f %8.2f  %s%s\n", r.name.c_str(), r.stall.c_str(),
                    r.j.value("images", 0), r.j.value("mismatches", 0), r.j.value("latency_cycles", 0.0), iv, ex,
                    ex > 0 ? iv / ex : 0.0, r.j.value("sim_cycles_per_s", 0.0) / 1e6,
                    r.failure.empty() ? "ok" : "FAIL: ", r.failure.c_str());
    }
    std::printf("%zu runs, %d failed\n", rows.size(), failed);

    std::ofstream x(dir + "/junit.xml");
    x << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"regress\" tests=\"" << rows.size()
      << "\" failures=\"" << failed << "\">\n";
    for (const Row& r : rows) {
        x << "  <testcase classname=\"regress." << xml_escape(r.stall) << "\" name=\"" << xml_escape(r.name) << "\" time=\""
          << (r.j.is_null() ? 0.0 : r.j.value("wall_s", 0.0)) << "\">";
        if (!r.failure.empty()) x << "<failure message=\"" << xml_escape(r.failure) << "\"/>";
        x << "</testcase>\n";
    }
    x << "</testsuite>\n";
    std::printf("JUnit XML: %s/junit.xml\n", dir.c_str());
    return failed ? 1 : 0;
}
