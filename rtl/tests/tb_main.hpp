// The main() of every block testbench: runs run<Cfg>() for each generic
// configuration of the test (CNN_FOR_EACH_CONFIG, from the generated
// <test>_models.h), prints PASS or FAIL and sets the exit code. A testbench
// defines `template <class Cfg> bool run()` and then writes CNN_BLOCK_TB_MAIN().
#pragma once

#include <cstdio>

#define CNN_BLOCK_TB_MAIN()                                   \
    int main() {                                              \
        bool ok = true;                                       \
        CNN_FOR_EACH_CONFIG(CNN_BLOCK_TB_RUN_)                \
        std::printf("%s\n", ok ? "PASS" : "FAIL");            \
        return ok ? 0 : 1;                                    \
    }
#define CNN_BLOCK_TB_RUN_(Cfg) ok = run<Cfg>() && ok;
