// Test support: run a shell command, capture its exit code and its output
// (stdout and stderr together), for tests of the command-line tools.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>

namespace cnn::test {

struct CommandResult {
    int code;         // exit status
    std::string out;  // stdout and stderr
};

// `log_name` names the capture file in the temp folder (one per test binary,
// so tests run in parallel do not share it).
inline CommandResult run_command(const std::string& cmd, const std::string& log_name) {
    const std::filesystem::path log = std::filesystem::temp_directory_path() / log_name;
    const int status = std::system((cmd + " > " + log.string() + " 2>&1").c_str());
    std::ifstream in(log);
    std::stringstream ss;
    ss << in.rdbuf();
    return {WEXITSTATUS(status), ss.str()};
}

}  // namespace cnn::test
