// fst_probe: reads an FST waveform (with the FST reader Verilator ships) and
// prints its time range and the values of named signals at one time, so that
// a test can check what a waveform holds.
//   fst_probe FILE.fst TIME NAME...    NAME: a signal's leaf name (first match)
// Prints "range START END", then "NAME BITS" per signal (MSB first; "?" when
// absent or outside the range). Exit 1 when the file cannot be read.
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

extern "C" {
#include "fstapi.h"
}

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: fst_probe FILE.fst TIME NAME...\n");
        return 2;
    }
    void* r = fstReaderOpen(argv[1]);
    if (!r) {
        std::fprintf(stderr, "fst_probe: %s: not a readable FST file\n", argv[1]);
        return 1;
    }
    const uint64_t t = std::strtoull(argv[2], nullptr, 10);
    std::map<std::string, fstHandle> found;
    while (const fstHier* h = fstReaderIterateHier(r)) {
        if (h->htyp != FST_HT_VAR) continue;
        std::string name(h->u.var.name, h->u.var.name_length);
        const auto sp = name.find(' ');  // "probe_data [39:0]"
        if (sp != std::string::npos) name.resize(sp);
        found.emplace(name, h->u.var.handle);
    }
    const uint64_t start = fstReaderGetStartTime(r), end = fstReaderGetEndTime(r);
    std::printf("range %llu %llu\n", (unsigned long long)start, (unsigned long long)end);
    fstReaderSetFacProcessMaskAll(r);
    for (int i = 3; i < argc; ++i) {
        auto it = found.find(argv[i]);
        std::vector<char> buf(65536);
        const char* v = it != found.end() && t >= start && t <= end
                            ? fstReaderGetValueFromHandleAtTime(r, t, it->second, buf.data())
                            : nullptr;
        std::printf("%s %s\n", argv[i], v ? v : "?");
    }
    fstReaderClose(r);
    return 0;
}
