// report_merge OUT.json SHARD0.json SHARD1.json ...: the report of one run
// from the reports of its shards (`sim --shard K/N`, K = 0..N-1 in order):
// the report that run with --threads N writes, but for its timing (wall time
// is the slowest shard's). Prints it as the simulator does; exit 0 when the
// joined run passes (RunReport::ok()), 1 when not, 2 on usage.
#include <algorithm>
#include <cstdio>
#include <string>

#include "cli.hpp"
#include "error.hpp"
#include "report.hpp"

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: report_merge OUT.json SHARD0.json [SHARD1.json ...]\n");
        return 2;
    }
    return cnn::sim::guarded_main("report_merge", [&] {
        using cnn::sim::RunReport;
        RunReport rep = RunReport::read_json(argv[2]);
        for (int i = 3; i < argc; ++i) {
            RunReport r = RunReport::read_json(argv[i]);
            if (r.model != rep.model || r.stall != rep.stall || r.clock_mhz != rep.clock_mhz ||
                r.expected_cycles_per_image != rep.expected_cycles_per_image || r.simulator != rep.simulator)
                throw cnn::Error(argv[i], "is a shard of another run than " + std::string(argv[2]) +
                                              " (model, stall, clock or simulator differ)");
            if (!r.results.empty() && !rep.results.empty() && r.results.front().instance <= rep.results.back().instance)
                throw cnn::Error(argv[i], "shards must be given in order (its instance " +
                                              std::to_string(r.results.front().instance) + " comes too early)");
            const double wall = std::max(rep.wall_s, r.wall_s);
            rep.merge(r);
            rep.wall_s = wall;
        }
        rep.finish();
        rep.print(stdout);
        rep.write_json(argv[1]);
        std::printf("  report            %s (%d shards)\n", argv[1], argc - 2);
        return rep.ok() ? 0 : 1;
    });
}
