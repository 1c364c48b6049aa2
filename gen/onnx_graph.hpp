// A protobuf-free view of an ONNX model: what the interpreter, the importer,
// the quantizer and the zoo generator work on. Only onnx_io.cpp knows protobuf.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace cnn::onnx {

// What the reader accepts of any integer in a file (every one is checked
// before use): a tensor of at most kMaxRank dimensions, each 0..kMaxDim, and
// at most kMaxElements elements (2^28: 2 GiB as doubles; the resource guard
// judges what this machine can build).
constexpr int kMaxRank = 8;
constexpr int64_t kMaxDim = 2147483647;          // 2^31 - 1
constexpr int64_t kMaxElements = int64_t(1) << 28;

// The product of dims, or a cnn::Error naming `where` for a negative
// dimension, one above kMaxDim, more than kMaxRank of them or a product
// above kMaxElements (so it never overflows).
int64_t checked_element_count(const std::vector<int64_t>& dims, const std::string& where);

// Element types we read; anything else is Other and refused where it matters.
enum class DType { Float, Double, Int8, UInt8, Int32, Int64, Bool, Other };
const char* dtype_name(DType t);

// A dense tensor. Every element is held as a double: exact for every int8,
// uint8, int32 and float value, and for int64 up to 2^53 (shapes, indices).
struct Tensor {
    std::string name;
    DType dtype = DType::Float;
    std::vector<int64_t> dims;
    std::vector<double> data;

    size_t size() const;  // product of dims (1 for a scalar)

    // A tensor as a graph builder writes it.
    static Tensor make(std::string name, DType dtype, std::vector<int64_t> dims, std::vector<double> data) {
        Tensor t;
        t.name = std::move(name);
        t.dtype = dtype;
        t.dims = std::move(dims);
        t.data = std::move(data);
        return t;
    }
};

struct Attribute {
    enum class Kind { Int, Float, String, Ints, Floats, Tensor, Other };
    Kind kind = Kind::Other;
    int64_t i = 0;
    double f = 0.0;
    std::string s;
    std::vector<int64_t> ints;
    std::vector<double> floats;
    Tensor t;

    // Attributes as a graph builder writes them.
    static Attribute integer(int64_t v) {
        Attribute a;
        a.kind = Kind::Int;
        a.i = v;
        return a;
    }
    static Attribute real(double v) {
        Attribute a;
        a.kind = Kind::Float;
        a.f = v;
        return a;
    }
    static Attribute integers(std::vector<int64_t> v) {
        Attribute a;
        a.kind = Kind::Ints;
        a.ints = std::move(v);
        return a;
    }
};

struct Node {
    std::string name;     // may be empty in the file; load_model fills "<op>_<index>"
    std::string op_type;
    std::string domain;   // "" for the default ONNX domain
    std::vector<std::string> inputs;   // "" marks an omitted optional input
    std::vector<std::string> outputs;
    std::map<std::string, Attribute> attrs;

    bool has(const std::string& attr) const { return attrs.count(attr) != 0; }
    int64_t attr_int(const std::string& attr, int64_t dflt) const;
    double attr_float(const std::string& attr, double dflt) const;
    std::string attr_string(const std::string& attr, const std::string& dflt) const;
    std::vector<int64_t> attr_ints(const std::string& attr,
                                   const std::vector<int64_t>& dflt = {}) const;
};

struct ValueInfo {
    std::string name;
    DType dtype = DType::Float;
    std::vector<int64_t> dims;  // -1 for a symbolic or unknown dimension
};

struct Graph {
    std::string name;
    int64_t opset = 0;                         // default-domain opset version
    std::vector<Node> nodes;                   // in file order (topological for valid models)
    std::map<std::string, Tensor> initializers;
    std::vector<ValueInfo> inputs;             // graph inputs that are not initializers
    std::vector<ValueInfo> outputs;
    // Every value's element type and shape as ONNX's own shape inference
    // states them (graph inputs and outputs included); a value it could not
    // type is absent. Filled by load_model.
    std::map<std::string, ValueInfo> value_info;

    const Tensor* initializer(const std::string& name) const;
};

// Read a .onnx file. Throws cnn::Error naming the file for a missing file,
// a file that is not an ONNX model, or a truncated one; with onnx_checks (the
// default) also for a model that ONNX's own checker or strict shape inference
// rejects, and fills Graph::value_info. Without them it is a plain protobuf
// conversion (the reader's own round-trip tests).
Graph load_model(const std::string& path, bool onnx_checks = true);

// load_model from bytes in memory; `name` stands for the file in errors.
Graph parse_model(const std::string& bytes, const std::string& name, bool onnx_checks = true);

// save_model to bytes in memory (the fuzzer's re-serialisation).
std::string serialize_model(const Graph& graph);

// Write a model (ir_version 8, the graph's opset). Throws cnn::Error on I/O failure.
void save_model(const Graph& graph, const std::string& path);

// Read a serialized TensorProto (the input_N.pb / output_N.pb of ONNX node tests).
Tensor load_tensor(const std::string& path);

}  // namespace cnn::onnx
