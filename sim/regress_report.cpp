// The regression's summary, from what CTest decided and the runs reported:
//
//   regress_report table JUNIT.xml REPORT_DIR
//       one row per regress_<model>_<stall> test of CTest's JUnit file: its
//       verdict (CTest's, i.e. the simulator's exit code: RunReport::ok()),
//       the reason from REPORT_DIR/<model>.<stall>.json when it failed, and
//       the run's figures. Exit 1 when a run failed.
//   regress_report merge-junit OUT.xml IN.xml...
//       CTest JUnit files (one per Slurm task) joined into one, as one CTest
//       run over all their tests writes it.
// Nothing here decides a verdict of its own.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace {

std::string slurp(const std::string& path) {
    std::ifstream f(path);
    if (!f) {
        std::fprintf(stderr, "regress_report: %s: cannot read\n", path.c_str());
        std::exit(1);
    }
    std::stringstream b;
    b << f.rdbuf();
    return b.str();
}

std::string attr(const std::string& tag, const std::string& name) {
    const std::string key = " " + name + "=\"";
    size_t p = tag.find(key);
    if (p == std::string::npos) p = tag.find("\t" + name + "=\"");
    if (p == std::string::npos) p = tag.find("\n" + name + "=\"");
    if (p == std::string::npos) return "";
    p += key.size();
    return tag.substr(p, tag.find('"', p) - p);
}

// The <testcase ...>...</testcase> elements of a CTest JUnit file, whole.
std::vector<std::string> testcases(const std::string& xml) {
    std::vector<std::string> v;
    for (size_t p = xml.find("<testcase "); p != std::string::npos; p = xml.find("<testcase ", p + 1)) {
        const size_t open_end = xml.find('>', p);
        size_t end = xml[open_end - 1] == '/' ? open_end + 1 : xml.find("</testcase>", p) + 11;
        v.push_back(xml.substr(p, end - p));
    }
    return v;
}

int merge(const std::string& out, const std::vector<std::string>& ins) {
    std::vector<std::string> cases;
    double time = 0;
    int failures = 0, disabled = 0, skipped = 0;
    std::string timestamp;
    for (const auto& in : ins) {
        const std::string xml = slurp(in);
        const std::string head = xml.substr(0, xml.find('>', xml.find("<testsuite")));
        if (timestamp.empty()) timestamp = attr(head, "timestamp");
        time += std::atof(attr(head, "time").c_str());
        for (auto& c : testcases(xml)) {
            const std::string tag = c.substr(0, c.find('>'));
            const std::string st = attr(tag, "status");
            failures += st == "fail";
            disabled += st == "disabled";
            skipped += st == "notrun";
            cases.push_back(c);
        }
    }
    std::ofstream f(out);
    f << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"regress\"\n\ttests=\"" << cases.size()
      << "\"\n\tfailures=\"" << failures << "\"\n\tdisabled=\"" << disabled << "\"\n\tskipped=\"" << skipped
      << "\"\n\thostname=\"\"\n\ttime=\"" << time << "\"\n\ttimestamp=\"" << timestamp << "\"\n\t>\n";
    for (const auto& c : cases) f << "\t" << c << "\n";
    f << "</testsuite>\n";
    if (!f) {
        std::fprintf(stderr, "regress_report: %s: cannot write\n", out.c_str());
        return 1;
    }
    std::printf("JUnit XML: %s (%zu tests from %zu files)\n", out.c_str(), cases.size(), ins.size());
    return 0;
}

struct Row {
    std::string model, stall, status, reason;
    nlohmann::json j;
};

int stall_rank(const std::string& s) { return s == "off" ? 0 : s == "random" ? 1 : s == "heavy" ? 2 : 3; }

int table(const std::string& junit, const std::string& dir) {
    std::vector<Row> rows;
    for (const auto& c : testcases(slurp(junit))) {
        const std::string tag = c.substr(0, c.find('>'));
        const std::string name = attr(tag, "name");
        if (name.rfind("regress_", 0) != 0) continue;   // the fixtures that built the simulators
        Row r;
        r.model = name.substr(8, name.rfind('_') - 8);
        r.stall = name.substr(name.rfind('_') + 1);
        r.status = attr(tag, "status");
        std::ifstream f(dir + "/" + r.model + "." + r.stall + ".json");
        if (f) {
            try {
                f >> r.j;
            } catch (const std::exception&) {
                r.j = nullptr;
            }
        }
        if (r.status != "run") {
            if (r.j.is_null())
                r.reason = r.status == "notrun" ? "not run (its simulator did not build?)" : "no report (see CTest's output)";
            else if (r.j.value("mismatches", 0) > 0)
                r.reason = std::to_string(r.j.value("mismatches", 0)) + " mismatching images";
            else if (!r.j.value("errors", nlohmann::json::array()).empty())
                r.reason = r.j["errors"][0].get<std::string>();
            else
                r.reason = "the simulator failed (see CTest's output)";
        }
        rows.push_back(r);
    }
    std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
        return a.model != b.model ? a.model < b.model : stall_rank(a.stall) < stall_rank(b.stall);
    });
    int failed = 0;
    std::printf("%-38s %-7s %6s %5s %10s %10s %10s %7s %8s  %s\n", "model", "stall", "images", "mism", "latency",
                "interval", "model", "ratio", "Mcyc/s", "result");
    for (const Row& r : rows) {
        const bool ok = r.status == "run";
        failed += !ok;
        if (r.j.is_null()) {
            std::printf("%-38s %-7s %6s %5s %10s %10s %10s %7s %8s  %s%s\n", r.model.c_str(), r.stall.c_str(), "-", "-",
                        "-", "-", "-", "-", "-", ok ? "ok" : "FAIL: ", r.reason.c_str());
            continue;
        }
        const double iv = r.j.value("interval_cycles", 0.0), ex = r.j.value("expected_cycles_per_image", 0.0);
        std::printf("%-38s %-7s %6d %5d %10.0f %10.0f %10.0f %7.3f %8.2f  %s%s\n", r.model.c_str(), r.stall.c_str(),
                    r.j.value("images", 0), r.j.value("mismatches", 0), r.j.value("latency_cycles", 0.0), iv, ex,
                    ex > 0 ? iv / ex : 0.0, r.j.value("sim_cycles_per_s", 0.0) / 1e6, ok ? "ok" : "FAIL: ",
                    r.reason.c_str());
    }
    std::printf("%zu runs, %d failed\n", rows.size(), failed);
    std::printf("JUnit XML: %s\n", junit.c_str());
    return failed || rows.empty() ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
    const std::string cmd = argc > 1 ? argv[1] : "";
    if (cmd == "table" && argc == 4) return table(argv[2], argv[3]);
    if (cmd == "merge-junit" && argc >= 4) return merge(argv[2], std::vector<std::string>(argv + 3, argv + argc));
    std::fprintf(stderr, "usage: regress_report table JUNIT.xml REPORT_DIR | merge-junit OUT.xml IN.xml...\n");
    return 2;
}
