// hw_resources: FPGA resource and timing figures of a model's top, from what
// Yosys and nextpnr wrote (rtl/flow/resources.sh, rtl/flow/fmax.sh).
//
//   hw_resources resources --fpga F --verilog cnn_top.v --stat S.json --mems M.il
//                          [--log yosys.log] [--synth-ms N] [--json OUT] [--manifest M.json]
//       Per PE instance of cnn_top (its module's cells, submodules included,
//       from Yosys' `stat -json`) and in total: LUT, FF, DSP, BRAM, LUT-RAM,
//       against the part's capacity; fits or not (which resource); every
//       memory and what it became (block RAM, LUT-RAM or flip-flops) with
//       its read port (registered or combinational). With the manifest:
//       every PE's analytical estimate ("est", gen/resource_model.hpp)
//       beside Yosys' figure and their ratio, per PE and in total.
//   hw_resources block-rams --mems M.il --min-bits N
//       The Yosys commands that make every memory with a registered read
//       and >= N bits block RAM (rtl/flow/resources.sh's second run).
//   hw_resources timing --fpga F --log nextpnr.log [--nextpnr-rc N] [--json OUT]
//       fmax of clk and the device utilisation nextpnr-ice40 reports.
//
// Errors are one line on stderr and exit 2; "does not fit" is exit 1 for
// `timing` (nextpnr stopped), and only printed for `resources`.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

using nlohmann::json;

namespace {

struct Fail : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A part's published capacity. bram36: 36-Kbit blocks (7-series RAMB36E1;
// a RAMB18E1 is half of one); iCE40: 4-Kbit SB_RAM40_4K blocks (EBR). lut is
// logic cells (LC, one LUT4 and one DFF each) on the iCE40.
struct Part {
  std::string name, family;
  long lut, ff, dsp, bram;
};
const std::vector<Part>& parts() {
  static const std::vector<Part> p = {
      {"xc7z020", "xilinx", 53200, 106400, 220, 140},
      {"xc7a35t", "xilinx", 20800, 41600, 90, 50},
      {"xc7a100t", "xilinx", 63400, 126800, 240, 135},
      {"ice40up5k", "ice40", 5280, 5280, 8, 30},
      {"ice40hx8k", "ice40", 7680, 7680, 0, 32},
  };
  return p;
}
const Part& part(const std::string& name) {
  for (const Part& p : parts())
    if (p.name == name) return p;
  throw Fail("unknown FPGA '" + name + "' (xc7z020, xc7a35t, xc7a100t, ice40up5k, ice40hx8k)");
}

// Figures of one module or instance. bram in halves of the unit (RAMB18E1 =
// 1, RAMB36E1 = 2) so that sums stay exact; lutram in LUTs (7-series).
struct Figures {
  long lut = 0, ff = 0, dsp = 0, bram_half = 0, lutram = 0, carry = 0, other = 0;
  Figures& operator+=(const Figures& o) {
    lut += o.lut; ff += o.ff; dsp += o.dsp; bram_half += o.bram_half;
    lutram += o.lutram; carry += o.carry; other += o.other;
    return *this;
  }
  Figures scaled(long n) const {
    Figures f = *this;
    f.lut *= n; f.ff *= n; f.dsp *= n; f.bram_half *= n; f.lutram *= n; f.carry *= n; f.other *= n;
    return f;
  }
};

bool starts(const std::string& s, const char* p) { return s.rfind(p, 0) == 0; }

// LUTs a 7-series distributed RAM or shift register primitive occupies.
long xilinx_lutram_luts(const std::string& t) {
  static const std::map<std::string, long> luts = {
      {"RAM32X1S", 1}, {"RAM32X1D", 2}, {"RAM32M", 4},   {"RAM32M16", 8},  {"RAM64X1S", 1},
      {"RAM64X1D", 2}, {"RAM64M", 4},   {"RAM64M8", 8},  {"RAM128X1S", 2}, {"RAM128X1D", 4},
      {"RAM256X1S", 4}, {"RAM256X1D", 8}, {"RAM512X1S", 8}, {"SRL16E", 1},  {"SRLC16E", 1},
      {"SRLC32E", 1}};
  auto it = luts.find(t);
  return it == luts.end() ? -1 : it->second;
}

// Adds `n` cells of primitive type `t`; false when `t` is not a primitive
// this tool knows (then it is a submodule or something to count as other).
bool add_primitive(Figures& f, const std::string& family, const std::string& t, long n) {
  if (family == "xilinx") {
    if (std::regex_match(t, std::regex("LUT[1-6]"))) f.lut += n;
    else if (t == "FDRE" || t == "FDSE" || t == "FDCE" || t == "FDPE") f.ff += n;
    else if (t == "DSP48E1") f.dsp += n;
    else if (t == "RAMB18E1") f.bram_half += n;
    else if (t == "RAMB36E1") f.bram_half += 2 * n;
    else if (xilinx_lutram_luts(t) > 0) f.lutram += n * xilinx_lutram_luts(t);
    else if (t == "CARRY4") f.carry += n;
    else if (t == "MUXF7" || t == "MUXF8" || t == "INV" || t == "BUFG" || t == "VCC" || t == "GND") {
      // part of the slices' LUTs and muxes, or free: not counted
    } else return false;
    return true;
  }
  if (t == "SB_LUT4") f.lut += n;
  else if (starts(t, "SB_DFF")) f.ff += n;
  else if (t == "SB_MAC16") f.dsp += n;
  else if (starts(t, "SB_RAM40_4K")) f.bram_half += 2 * n;
  else if (t == "SB_CARRY") f.carry += n;
  else if (t == "SB_GB" || t == "SB_IO") {
  } else return false;
  return true;
}

std::string strip(const std::string& s) { return !s.empty() && s[0] == '\\' ? s.substr(1) : s; }

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Fail("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

json read_json(const std::string& path) {
  try {
    return json::parse(read_text(path));
  } catch (const json::exception& e) {
    throw Fail(path + ": not JSON (" + e.what() + ")");
  }
}

struct Design {
  std::string family;
  std::map<std::string, Figures> own;                             // a module's own cells
  std::map<std::string, std::map<std::string, long>> sub;         // a module's submodule instances
  std::map<std::string, std::set<std::string>> unknown;           // cell types not counted
  std::map<std::string, Figures> total_memo;

  Figures total(const std::string& m) {
    auto it = total_memo.find(m);
    if (it != total_memo.end()) return it->second;
    Figures f = own.at(m);
    for (const auto& [s, n] : sub[m]) f += total(s).scaled(n);
    total_memo[m] = f;
    return f;
  }
  // Every module below m (m included).
  void below(const std::string& m, std::set<std::string>& out) {
    if (!out.insert(m).second) return;
    for (const auto& [s, n] : sub[m]) below(s, out);
  }
};

// Yosys 0.23's `stat -json` writes its "modules" object, then (with a top
// module, or even without) a broken tail: a comma and text or nothing. The
// modules object ends at the first line "   }," (three spaces): cut there.
json read_stat_json(const std::string& path) {
  std::string text = read_text(path);
  const std::string end = "\n   },\n";
  const auto at = text.find(end);
  if (at != std::string::npos) text = text.substr(0, at) + "\n   }\n}\n";
  try {
    return json::parse(text);
  } catch (const json::exception& e) {
    throw Fail(path + ": not Yosys' stat -json (" + e.what() + ")");
  }
}

Design read_stat(const std::string& path, const std::string& family) {
  json j = read_stat_json(path);
  if (!j.contains("modules")) throw Fail(path + ": no \"modules\" (not Yosys' stat -json)");
  Design d;
  d.family = family;
  std::set<std::string> names;
  for (const auto& [name, m] : j["modules"].items()) names.insert(strip(name));
  for (const auto& [name, m] : j["modules"].items()) {
    std::string mod = strip(name);
    Figures& f = d.own[mod];
    const json cells = m.value("num_cells_by_type", json::object());
    for (const auto& [t, n] : cells.items()) {
      std::string type = strip(t);
      long count = n.get<long>();
      if (names.count(type)) d.sub[mod][type] += count;
      else if (!add_primitive(f, family, type, count)) {
        f.other += count;
        d.unknown[mod].insert(type);
      }
    }
  }
  if (!d.own.count("cnn_top")) throw Fail(path + ": no module cnn_top");
  return d;
}

struct Instance {
  std::string name, module;
};

// The PE instances of cnn_top in GHDL's Verilog, in order: `  MODULE NAME (`.
std::vector<Instance> read_instances(const std::string& verilog, const std::set<std::string>& modules) {
  std::ifstream in(verilog);
  if (!in) throw Fail("cannot read " + verilog);
  std::vector<Instance> out;
  std::string line;
  bool in_top = false;
  std::regex inst(R"(^\s+([A-Za-z_][A-Za-z0-9_$]*)\s+([A-Za-z_][A-Za-z0-9_$]*)\s*\($)");
  while (std::getline(in, line)) {
    if (starts(line, "module ")) in_top = line == "module cnn_top" || starts(line, "module cnn_top ") ||
                                          starts(line, "module cnn_top(");
    else if (starts(line, "endmodule")) in_top = false;
    std::smatch m;
    if (in_top && line.size() < 400 && std::regex_match(line, m, inst) && modules.count(m[1]))
      out.push_back({m[2], m[1]});
  }
  if (out.empty()) throw Fail(verilog + ": no PE instance found in module cnn_top");
  return out;
}

// A memory as Yosys saw it just before mapping ($mem_v2 cells of `dump`).
struct Memory {
  std::string module, name;
  long size = 0, width = 0;
  bool registered_read = true;   // every read port clocked
  long read_ports = 0, write_ports = -1;   // 0 write ports: a ROM (a weight table)
  std::string mapped;            // what memory_libmap / memory_map made of it
};

std::vector<Memory> read_memories(const std::string& il) {
  std::istringstream in(read_text(il));
  std::vector<Memory> out;
  std::string line, module;
  Memory* cur = nullptr;
  // Plain string parsing: a parameter line (INIT) can be megabits long,
  // too long for std::regex's recursion.
  auto words = [](const std::string& l) {
    std::vector<std::string> w;
    std::istringstream ws(l);
    for (std::string x; ws >> x && w.size() < 3;) w.push_back(x);
    return w;
  };
  while (std::getline(in, line)) {
    const std::vector<std::string> w = words(line);
    if (w.empty()) continue;
    if (w[0] == "module" && w.size() >= 2) {
      module = strip(w[1]);
      cur = nullptr;
    } else if (w[0] == "cell" && w.size() >= 3 && w[1] == "$mem_v2") {
      out.push_back(Memory{module, strip(w[2]), 0, 0, true, 0, -1, ""});
      cur = &out.back();
    } else if (cur && w[0] == "parameter" && w.size() >= 3) {
      const std::string key = strip(w[1]), v = w[2];
      if (key != "SIZE" && key != "WIDTH" && key != "RD_PORTS" && key != "WR_PORTS" && key != "RD_CLK_ENABLE")
        continue;
      const auto q = v.find('\'');
      const std::string bits = q == std::string::npos ? "" : v.substr(q + 1);
      long value = 0;
      if (q == std::string::npos) value = std::stol(v);
      else
        for (char c : bits) value = (value << 1) | (c == '1');
      if (key == "SIZE") cur->size = value;
      else if (key == "WIDTH") cur->width = value;
      else if (key == "RD_PORTS") cur->read_ports = value;
      else if (key == "WR_PORTS") cur->write_ports = value;
      else cur->registered_read = bits.find('0') == std::string::npos;
    } else if (w[0] == "end" && line.rfind("  end", 0) == 0 && line.size() == 5) {
      cur = nullptr;
    }
  }
  return out;
}

// What the mapping passes' log says each memory became.
void read_mapping(const std::string& log, std::vector<Memory>& mems) {
  std::istringstream in(read_text(log));
  std::string line;
  std::regex via(R"(^mapping memory (\S+)\.(\S+) via (\S+))");
  std::regex ff(R"(^using FF mapping for memory (\S+)\.(\S+))");
  std::regex mm(R"(^Mapping memory (\S+) in module \\?(\S+):)");
  while (std::getline(in, line)) {
    std::smatch m;
    std::string mod, name, what;
    if (line.size() > 600 || (line.rfind("mapping", 0) != 0 && line.rfind("using FF", 0) != 0 &&
                              line.rfind("Mapping memory", 0) != 0))
      continue;
    if (std::regex_search(line, m, via)) {
      mod = m[1]; name = m[2]; what = m[3];
      if (what.find("LUTRAM") != std::string::npos) what = "LUT-RAM";
      else if (what.find("RAMB") != std::string::npos || what.find("BRAM") != std::string::npos ||
               what.find("BLOCKRAM") != std::string::npos ||
               what.find("RAM4K") != std::string::npos || what.find("RAM40") != std::string::npos)
        what = "block RAM";
    } else if (std::regex_search(line, m, ff)) {
      mod = m[1]; name = m[2]; what = "flip-flops";
    } else if (std::regex_search(line, m, mm)) {
      mod = m[2]; name = strip(m[1]); what = "flip-flops";
    } else {
      continue;
    }
    for (Memory& x : mems)
      if (x.module == mod && x.name == name && x.mapped.empty()) x.mapped = what;
  }
  for (Memory& x : mems) {
    if (x.mapped.empty()) x.mapped = "logic (folded)";
    if (x.mapped == "flip-flops" && x.write_ports == 0) x.mapped = "logic (ROM)";
  }
}

std::string pct(long used, long cap) {
  if (cap == 0) return used ? "n/a" : "-";
  char b[32];
  std::snprintf(b, sizeof b, "%.1f%%", 100.0 * used / cap);
  return b;
}

std::string bram_text(long half) {
  return std::to_string(half / 2) + (half % 2 ? ".5" : "");
}

json figures_json(const Figures& f, const std::string& family) {
  json j = {{"lut", f.lut}, {"ff", f.ff}, {"dsp", f.dsp}, {"bram", f.bram_half / 2.0}, {"carry", f.carry}};
  if (family == "xilinx") j["lutram"] = f.lutram;
  return j;
}

std::string arg(const std::map<std::string, std::string>& a, const std::string& k, bool required = true) {
  auto it = a.find(k);
  if (it == a.end()) {
    if (required) throw Fail("missing --" + k);
    return "";
  }
  return it->second;
}

// The analytical model's estimate of every PE (gen/resource_model.hpp), as
// cnnc wrote it into the manifest: "est" of each layer's PEs, of the input
// fork and of the stream ends (axis_est). Empty without a manifest.
std::map<std::string, json> read_estimates(const std::string& manifest) {
  std::map<std::string, json> est;
  if (manifest.empty()) return est;
  const json m = read_json(manifest);
  for (const json& l : m.value("layers", json::array()))
    for (const json& pe : l.value("pes", json::array()))
      if (pe.contains("est")) est[pe["instance"].get<std::string>()] = pe["est"];
  if (m.contains("input_fork") && m["input_fork"].contains("est")) est["in_fork"] = m["input_fork"]["est"];
  const json axis = m.value("axis_est", json::object());   // items() of a temporary would dangle
  for (const auto& [k, v] : axis.items()) est[k] = v;
  return est;
}

// Estimate beside Yosys, per PE and in total: est, Yosys, est / Yosys.
struct Compare {
  static constexpr const char* keys[] = {"lut", "ff", "dsp", "bram36", "lutram"};
  std::ostringstream t;
  json total = {{"lut", 0.0}, {"ff", 0.0}, {"dsp", 0.0}, {"bram36", 0.0}, {"lutram", 0.0}};
  static json yosys(const Figures& f) {
    return {{"lut", f.lut}, {"ff", f.ff}, {"dsp", f.dsp}, {"bram36", f.bram_half / 2.0}, {"lutram", f.lutram}};
  }
  static std::string cell(double est, double got) {
    char b[48];
    if (got == 0 && est == 0) std::snprintf(b, sizeof b, "%7s %6s %5s", "0", "0", "");
    else if (got == 0) std::snprintf(b, sizeof b, "%7.6g %6s %5s", std::round(est * 10) / 10, "0", "-");
    else std::snprintf(b, sizeof b, "%7.6g %6.6g %5.2f", std::round(est * 10) / 10, got, est / got);
    return b;
  }
  void row(const std::string& name, const json& est, const json& got) {
    t << "  " << std::left << std::setw(14) << name << std::right;
    for (const char* k : keys) t << " " << cell(est[k].get<double>(), got[k].get<double>());
    t << "\n";
  }
};

int resources(const std::map<std::string, std::string>& a) {
  const Part& p = part(arg(a, "fpga"));
  const std::map<std::string, json> est = read_estimates(arg(a, "manifest", false));
  Compare cmp;
  Design d = read_stat(arg(a, "stat"), p.family);
  std::set<std::string> modules;
  for (const auto& [m, f] : d.own) modules.insert(m);
  std::vector<Instance> insts = read_instances(arg(a, "verilog"), modules);
  std::vector<Memory> mems = read_memories(arg(a, "mems"));
  if (!arg(a, "log", false).empty()) read_mapping(arg(a, "log"), mems);

  const bool x = p.family == "xilinx";
  Figures total;
  json pes = json::array();
  std::ostringstream t;
  auto row = [&](const std::string& name, const std::string& entity, const Figures& f) {
    t << "  " << std::left << std::setw(14) << name << std::setw(16) << entity << std::right
      << std::setw(8) << f.lut << std::setw(8) << f.ff << std::setw(6) << f.dsp << std::setw(8)
      << bram_text(f.bram_half);
    if (x) t << std::setw(8) << f.lutram;
    t << "\n";
  };
  auto entity_of = [](const std::string& module) {
    // GHDL names a module entity_generic_generic...: the entity is the
    // leading cnn_<word>[_<word>] part before the first number.
    std::smatch m;
    static const std::regex e(R"(^(cnn(?:_[a-z][a-z0-9]*)+?)(?:_[0-9].*)?$)");
    return std::regex_match(module, m, e) ? std::string(m[1]) : module;
  };
  t << (x ? "  PE            entity              LUT      FF   DSP  BRAM36  LUTRAM\n"
          : "  PE            entity             LUT4     DFF MAC16     EBR\n");
  for (const Instance& i : insts) {
    Figures f = d.total(i.module);
    total += f;
    row(i.name, entity_of(i.module), f);
    std::set<std::string> below;
    d.below(i.module, below);
    json pm = json::array();
    for (const Memory& m : mems)
      if (below.count(m.module)) pm.push_back(m.name);
    pes.push_back({{"instance", i.name}, {"module", i.module}, {"entity", entity_of(i.module)},
                   {"figures", figures_json(f, p.family)}, {"memories", pm}});
    if (est.count(i.name)) {
      const json& e = est.at(i.name);
      pes.back()["est"] = e;
      cmp.row(i.name, e, Compare::yosys(f));
      for (const char* k : Compare::keys) cmp.total[k] = cmp.total[k].get<double>() + e.value(k, 0.0);
    }
  }
  // What cnn_top holds itself besides its PEs: the reset register, the glue.
  Figures glue = d.own.at("cnn_top");
  std::map<std::string, long> counted;
  for (const Instance& i : insts) counted[i.module]++;
  for (const auto& [s, n] : d.sub["cnn_top"])
    if (counted[s] < n) glue += d.total(s).scaled(n - counted[s]);
  total += glue;
  row("(top glue)", "cnn_top", glue);
  t << "  " << std::string(x ? 68 : 60, '-') << "\n";
  row("total", "", total);
  Figures top_total = d.total("cnn_top");
  if (top_total.lut != total.lut || top_total.ff != total.ff || top_total.dsp != total.dsp ||
      top_total.bram_half != total.bram_half || top_total.lutram != total.lutram)
    throw Fail("the PEs' figures do not add up to cnn_top's (an instance not found in the Verilog)");

  // Capacity: 7-series slice LUTs hold logic and LUT-RAM; an iCE40 logic
  // cell one LUT4 and one DFF, which nextpnr packs together only when the
  // LUT drives that DFF alone: LUT4 + DFF is the estimate (on
  // conv3_s1_p1_relu_mp2, 9,000 against nextpnr's 8,189 packed cells;
  // max(LUT4, DFF), 4,513, is far too low). make fmax's count is the real one.
  long lut_need = x ? total.lut + total.lutram : total.lut + total.ff;
  std::vector<std::string> over;
  auto check = [&](const char* what, long used, long cap) {
    if (used > cap) over.push_back(std::string(what) + " " + std::to_string(used) + " > " + std::to_string(cap));
  };
  check(x ? "LUT" : "LC", lut_need, p.lut);
  if (x) check("FF", total.ff, p.ff);
  check(x ? "DSP48E1" : "SB_MAC16", total.dsp, p.dsp);
  if (total.bram_half > 2 * p.bram)
    over.push_back(std::string(x ? "BRAM36 " : "EBR ") + bram_text(total.bram_half) + " > " + std::to_string(p.bram));
  t << "  " << std::left << std::setw(30) << (p.name + " capacity") << std::right << std::setw(8) << p.lut
    << std::setw(8) << (x ? std::to_string(p.ff) : "") << std::setw(6) << p.dsp << std::setw(8) << p.bram << "\n";
  t << "  " << std::left << std::setw(30) << "used" << std::right << std::setw(8) << pct(lut_need, p.lut)
    << std::setw(8) << (x ? pct(total.ff, p.ff) : "") << std::setw(6) << pct(total.dsp, p.dsp) << std::setw(8)
    << pct(total.bram_half, 2 * p.bram) << "\n";
  if (x) t << "  (LUT use counts logic LUTs + LUT-RAM LUTs: " << lut_need << ")\n";
  else t << "  (LC use is estimated as LUT4 + DFF = " << lut_need << "; make fmax gives nextpnr's packed count)\n";
  bool fits = over.empty();
  std::string verdict = fits ? "fits " + p.name : "does not fit " + p.name + ": ";
  for (size_t i = 0; i < over.size(); ++i) verdict += (i ? ", " : "") + over[i];
  t << "  " << verdict << "\n";
  // Small tables (weight ROMs of a few words) are listed in the JSON only.
  json jm = json::array();
  long small = 0;
  if (!mems.empty()) t << "  memories (instance[/module].memory, words x bits, read port, mapped to):\n";
  for (const Memory& m : mems) {
    std::string where;
    for (const Instance& i : insts) {
      std::set<std::string> below;
      d.below(i.module, below);
      if (!below.count(m.module)) continue;
      where += (where.empty() ? "" : ",") + i.name;
      if (m.module != i.module) where += "/" + entity_of(m.module);
    }
    std::string note = m.registered_read ? "read registered" : "read combinational";
    jm.push_back({{"instances", where}, {"module", m.module}, {"name", m.name}, {"words", m.size},
                  {"width", m.width}, {"read", m.registered_read ? "registered" : "combinational"},
                  {"mapped", m.mapped}});
    if (m.size * m.width <= 128 && (m.mapped == "flip-flops" || m.mapped == "logic (ROM)")) {
      ++small;
      continue;
    }
    t << "    " << std::left << std::setw(34) << (where + "." + m.name) << std::right << std::setw(6) << m.size
      << " x " << std::left << std::setw(4) << m.width << std::setw(20) << note << m.mapped << "\n";
  }
  if (small) t << "    and " << small << " small tables (<= 128 bits) in flip-flops or logic\n";
  for (const auto& [m, types] : d.unknown)
    for (const std::string& ty : types) t << "  note: " << m << ": cell type " << ty << " not counted\n";

  std::cout << "resources " << p.name << " (Yosys " << (x ? "synth_xilinx" : "synth_ice40")
            << ", hierarchy kept, probes removed)" << "\n" << t.str();
  // The model is of the 7-series mapping: beside an iCE40's figures it is
  // printed all the same (as est / Yosys), but holds no tolerance there.
  if (!est.empty()) {
    std::cout << "  estimate (gen/resource_model) beside Yosys: est, Yosys, est/Yosys"
              << (x ? "" : " (a 7-series model: not comparable on an iCE40)") << "\n  " << std::left << std::setw(14)
              << "PE" << std::right;
    for (const char* k : Compare::keys) std::cout << " " << std::setw(20) << k;
    std::cout << "\n" << cmp.t.str();
    std::cout << "  " << std::string(14 + 5 * 21, '-') << "\n";
    Compare tot;
    tot.row("total", cmp.total, Compare::yosys(total));
    std::cout << tot.t.str();
  }
  if (!arg(a, "synth-ms", false).empty()) std::cout << "  synthesis " << arg(a, "synth-ms") << " ms\n";

  if (!arg(a, "json", false).empty()) {
    json out = {{"fpga", p.name},
                {"family", p.family},
                {"tool", x ? "yosys synth_xilinx" : "yosys synth_ice40"},
                {"pes", pes},
                {"glue", figures_json(glue, p.family)},
                {"total", figures_json(total, p.family)},
                {"capacity", {{"lut", p.lut}, {"ff", p.ff}, {"dsp", p.dsp}, {"bram", p.bram}}},
                {"lut_needed", lut_need},
                {"fits", fits},
                {"over", over},
                {"memories", jm}};
    if (!est.empty()) {
      out["est_total"] = cmp.total;
      out["yosys_total"] = Compare::yosys(total);
    }
    if (!arg(a, "synth-ms", false).empty()) out["synth_ms"] = std::stol(arg(a, "synth-ms"));
    std::ofstream o(arg(a, "json"));
    if (!o) throw Fail("cannot write " + arg(a, "json"));
    o << out.dump(2) << "\n";
  }
  return 0;
}

// The memories resources.sh asks to be block RAM: every read port registered
// and at least --min-bits bits (words x width). Prints a Yosys script of
// setattr commands, one per memory (module/cell), read back by the second
// Yosys run before memory_libmap; a comment line per memory says why.
int block_rams(const std::map<std::string, std::string>& a) {
  const long min_bits = std::stol(arg(a, "min-bits"));
  long n = 0;
  for (const Memory& m : read_memories(arg(a, "mems"))) {
    if (!m.registered_read || m.size * m.width < min_bits) continue;
    // A name with a selection pattern's special characters is not selected
    // by name (none of GHDL's memories has one): it keeps Yosys' own choice.
    if ((m.module + m.name).find_first_of("*?[]/%") != std::string::npos) continue;
    std::cout << "# " << m.module << "." << m.name << ": " << m.size << " x " << m.width << " = "
              << m.size * m.width << " bits, read registered\n"
              << "setattr -set ram_style \"block\" -set rom_style \"block\" " << m.module << "/" << m.name
              << "\n";
    ++n;
  }
  std::cout << "# " << n << " memories of >= " << min_bits << " bits with a registered read\n";
  return 0;
}

// nextpnr-ice40's log: "Info: Max frequency for clock 'clk$SB_IO_IN_$glb_clk': 61.20 MHz (PASS at 12.00 MHz)"
// (the last one is after routing) and its "Device utilisation:" block.
int timing(const std::map<std::string, std::string>& a) {
  const Part& p = part(arg(a, "fpga"));
  if (p.family != "ice40") throw Fail("timing: only iCE40 parts (nextpnr-ice40), not " + p.name);
  std::istringstream in(read_text(arg(a, "log")));
  std::string line;
  std::regex fmax(R"(Max frequency for clock +'([^']+)': ([0-9.]+) MHz)");
  std::regex util(R"(^Info:\s+([A-Z_0-9]+):\s+([0-9]+)/\s*([0-9]+)\s+([0-9]+)%)");
  double mhz = -1;
  std::string clock;
  json used = json::object();
  bool in_util = false;
  while (std::getline(in, line)) {
    std::smatch m;
    if (line.size() > 600) continue;
    if (std::regex_search(line, m, fmax) && m[1].str().find("clk") != std::string::npos) {
      mhz = std::stod(m[2]);
      clock = m[1];
    }
    if (line.find("Device utilisation:") != std::string::npos) {
      in_util = true;
      used = json::object();
    } else if (in_util && std::regex_search(line, m, util)) {
      used[m[1].str()] = {{"used", std::stol(m[2])}, {"available", std::stol(m[3])}};
    } else if (in_util && line.find('/') == std::string::npos) {
      in_util = false;
    }
  }
  for (const auto& [k, v] : used.items())
    if (v["used"].get<long>() > v["available"].get<long>()) {
      std::cerr << "fmax: does not fit " << p.name << ": " << k << " " << v["used"].get<long>() << " > "
                << v["available"].get<long>() << " (nextpnr-ice40)\n";
      return 1;
    }
  const std::string rc = arg(a, "nextpnr-rc", false);
  if (!rc.empty() && rc != "0") {
    std::istringstream again(read_text(arg(a, "log")));
    std::string first_error;
    while (std::getline(again, line))
      if (starts(line, "ERROR: ")) {
        first_error = line.substr(7);
        break;
      }
    std::smatch m;
    static const std::regex nobel(R"(no BELs remaining to implement cell type '([^']+)')");
    if (std::regex_search(first_error, m, nobel)) {
      std::cerr << "fmax: does not fit " << p.name << ": not enough " << m[1] << " (nextpnr-ice40)\n";
      return 1;
    }
    throw Fail("nextpnr-ice40 failed (exit " + rc + "): " +
               (first_error.empty() ? "no ERROR line; see " + arg(a, "log") : first_error));
  }
  std::cout << "fmax " << p.name << ": " << std::fixed << std::setprecision(2) << mhz << " MHz (clock " << clock
            << ", nextpnr-ice40 after routing)\n";
  for (const auto& [k, v] : used.items())
    if (v["used"].get<long>() > 0)
      std::cout << "  " << std::left << std::setw(16) << k << std::right << std::setw(6) << v["used"].get<long>()
                << " / " << v["available"].get<long>() << "\n";
  if (!arg(a, "json", false).empty()) {
    json out = {{"fpga", p.name}, {"fmax_mhz", mhz}, {"clock", clock}, {"utilisation", used},
                {"tool", "nextpnr-ice40"}};
    std::ofstream o(arg(a, "json"));
    if (!o) throw Fail("cannot write " + arg(a, "json"));
    o << out.dump(2) << "\n";
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc < 2) throw Fail("usage: hw_resources resources|timing --fpga F ... (see sim/hw_resources.cpp)");
    std::string cmd = argv[1];
    std::map<std::string, std::string> a;
    for (int i = 2; i < argc; ++i) {
      std::string k = argv[i];
      if (!starts(k, "--") || i + 1 >= argc) throw Fail("expected --option value, got '" + k + "'");
      a[k.substr(2)] = argv[++i];
    }
    if (cmd == "resources") return resources(a);
    if (cmd == "timing") return timing(a);
    if (cmd == "block-rams") return block_rams(a);
    throw Fail("unknown command '" + cmd + "' (resources, timing, block-rams)");
  } catch (const std::exception& e) {
    std::cerr << "hw_resources: " << e.what() << "\n";
    return 2;
  }
}
