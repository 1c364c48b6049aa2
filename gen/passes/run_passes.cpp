#include "passes.hpp"

namespace cnn {

void run_passes(Network& net) {
    check_legality(net);
    assign_quantization(net);
    check_hardware_limits(net);
    permute_dense_weights(net);  // before fusion: needs each Dense's own input shape
    fuse_activations(net);
}

}  // namespace cnn
