// The ONNX reader and writer: the only file that knows protobuf. It converts
// ModelProto <-> cnn::onnx::Graph and TensorProto <-> cnn::onnx::Tensor and
// turns every malformed input into a cnn::Error naming the file.
#include "onnx_graph.hpp"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>

#include "error.hpp"

namespace cnn::onnx {

namespace pb = ::onnx;

// ---------------------------------------------------------------- small helpers

const char* dtype_name(DType t) {
    switch (t) {
        case DType::Float: return "float";
        case DType::Double: return "double";
        case DType::Int8: return "int8";
        case DType::UInt8: return "uint8";
        case DType::Int32: return "int32";
        case DType::Int64: return "int64";
        case DType::Bool: return "bool";
        case DType::Other: break;
    }
    return "other";
}

// Unchecked: load_model has already refused dims whose product overflows
// (checked_element_count); a graph built in code is the builder's business.
size_t Tensor::size() const {
    size_t n = 1;
    for (int64_t d : dims) n *= size_t(d);
    return n;
}

int64_t checked_element_count(const std::vector<int64_t>& dims, const std::string& where) {
    auto shape = [&] {
        std::string s;
        for (size_t i = 0; i < dims.size(); ++i) s += (i ? "x" : "") + std::to_string(dims[i]);
        return dims.empty() ? std::string("a scalar") : s;
    };
    if (dims.size() > size_t(kMaxRank))
        throw Error(where, std::to_string(dims.size()) + " dimensions; at most " + std::to_string(kMaxRank) +
                               " are read");
    int64_t n = 1;
    for (int64_t d : dims) {
        if (d < 0) throw Error(where, "negative dimension " + std::to_string(d) + " in shape " + shape());
        if (d > kMaxDim)
            throw Error(where, "dimension " + std::to_string(d) + " in shape " + shape() +
                                   " is above the reader's limit 2^31-1");
        if (d != 0 && n > kMaxElements / d)
            throw Error(where, "shape " + shape() + " holds more than " + std::to_string(kMaxElements) +
                                   " elements (the reader's limit per tensor)");
        n *= d;
    }
    return n;
}

const Tensor* Graph::initializer(const std::string& name) const {
    auto it = initializers.find(name);
    return it == initializers.end() ? nullptr : &it->second;
}

namespace {

std::string node_where(const Node& n) {
    return "node '" + n.name + "' (" + n.op_type + ")";
}

const Attribute* find_attr(const Node& n, const std::string& attr, Attribute::Kind kind,
                           const char* kind_text) {
    auto it = n.attrs.find(attr);
    if (it == n.attrs.end()) return nullptr;
    if (it->second.kind != kind)
        throw Error(node_where(n), "attribute '" + attr + "' is not " + kind_text);
    return &it->second;
}

}  // namespace

int64_t Node::attr_int(const std::string& attr, int64_t dflt) const {
    const Attribute* a = find_attr(*this, attr, Attribute::Kind::Int, "an int");
    return a ? a->i : dflt;
}

double Node::attr_float(const std::string& attr, double dflt) const {
    auto it = attrs.find(attr);
    if (it != attrs.end() && it->second.kind == Attribute::Kind::Int) return double(it->second.i);
    const Attribute* a = find_attr(*this, attr, Attribute::Kind::Float, "a float");
    return a ? a->f : dflt;
}

std::string Node::attr_string(const std::string& attr, const std::string& dflt) const {
    const Attribute* a = find_attr(*this, attr, Attribute::Kind::String, "a string");
    return a ? a->s : dflt;
}

std::vector<int64_t> Node::attr_ints(const std::string& attr,
                                     const std::vector<int64_t>& dflt) const {
    const Attribute* a = find_attr(*this, attr, Attribute::Kind::Ints, "a list of ints");
    return a ? a->ints : dflt;
}

namespace {

// ---------------------------------------------------------------- element types

DType from_proto_type(int32_t t) {
    switch (t) {
        case pb::TensorProto::FLOAT: return DType::Float;
        case pb::TensorProto::DOUBLE: return DType::Double;
        case pb::TensorProto::INT8: return DType::Int8;
        case pb::TensorProto::UINT8: return DType::UInt8;
        case pb::TensorProto::INT32: return DType::Int32;
        case pb::TensorProto::INT64: return DType::Int64;
        case pb::TensorProto::BOOL: return DType::Bool;
        default: return DType::Other;
    }
}

int32_t to_proto_type(DType t) {
    switch (t) {
        case DType::Float: return pb::TensorProto::FLOAT;
        case DType::Double: return pb::TensorProto::DOUBLE;
        case DType::Int8: return pb::TensorProto::INT8;
        case DType::UInt8: return pb::TensorProto::UINT8;
        case DType::Int32: return pb::TensorProto::INT32;
        case DType::Int64: return pb::TensorProto::INT64;
        case DType::Bool: return pb::TensorProto::BOOL;
        case DType::Other: break;
    }
    return pb::TensorProto::UNDEFINED;
}

std::string proto_type_name(int32_t t) {
    if (!pb::TensorProto_DataType_IsValid(t)) return "type " + std::to_string(t);
    return pb::TensorProto_DataType_Name(pb::TensorProto_DataType(t));
}

size_t element_bytes(DType t) {
    switch (t) {
        case DType::Double:
        case DType::Int64: return 8;
        case DType::Float:
        case DType::Int32: return 4;
        default: return 1;
    }
}

// ---------------------------------------------------------------- tensors

// Little-endian element i of raw_data (the ONNX serialization is little-endian
// whatever the host; every host we build on is little-endian too, so memcpy).
double raw_element(const std::string& raw, DType t, size_t i) {
    const char* p = raw.data() + i * element_bytes(t);
    switch (t) {
        case DType::Float: { float v; std::memcpy(&v, p, 4); return v; }
        case DType::Double: { double v; std::memcpy(&v, p, 8); return v; }
        case DType::Int8: return double(int8_t(*p));
        case DType::UInt8: return double(uint8_t(*p));
        case DType::Bool: return *p ? 1.0 : 0.0;
        case DType::Int32: { int32_t v; std::memcpy(&v, p, 4); return v; }
        case DType::Int64: { int64_t v; std::memcpy(&v, p, 8); return double(v); }
        case DType::Other: break;
    }
    return 0.0;
}

// where: the file (and tensor) named in errors.
Tensor from_proto(const pb::TensorProto& tp, const std::string& where) {
    Tensor t;
    t.name = tp.name();
    const std::string ctx = where + (tp.name().empty() ? "" : " tensor '" + tp.name() + "'");
    t.dtype = from_proto_type(tp.data_type());
    if (t.dtype == DType::Other)
        throw Error(ctx, "unsupported element type " + proto_type_name(tp.data_type()));
    if (tp.data_location() == pb::TensorProto::EXTERNAL)
        throw Error(ctx, "external tensor data is not supported");
    if (tp.has_segment()) throw Error(ctx, "segmented tensors are not supported");
    t.dims.assign(tp.dims().begin(), tp.dims().end());
    // Every count below is compared with this one before anything is
    // allocated or indexed: no product of file integers is used unchecked.
    const size_t n = size_t(checked_element_count(t.dims, ctx));

    auto check_count = [&](size_t have) {
        if (have != n)
            throw Error(ctx, "holds " + std::to_string(have) + " elements, its shape needs " +
                                 std::to_string(n));
    };
    if (tp.has_raw_data()) {
        const std::string& raw = tp.raw_data();
        if (raw.size() % element_bytes(t.dtype) != 0)
            throw Error(ctx, "raw_data size " + std::to_string(raw.size()) +
                                 " is not a multiple of the element size");
        check_count(raw.size() / element_bytes(t.dtype));
        t.data.reserve(n);
        for (size_t i = 0; i < n; ++i) t.data.push_back(raw_element(raw, t.dtype, i));
        return t;
    }
    // A tensor holds its data in one field only: raw_data or its type's one.
    const int typed = tp.float_data_size() + tp.double_data_size() + tp.int64_data_size() +
                      tp.int32_data_size() + tp.uint64_data_size() + tp.string_data_size();
    auto only = [&](int mine) {
        if (typed != mine)
            throw Error(ctx, "holds data in a field other than its element type's (" +
                                 std::string(dtype_name(t.dtype)) + ")");
    };
    // int32_data carries int8, uint8 and bool too: each value must fit.
    auto narrow = [&](int32_t v) {
        const bool fits = t.dtype == DType::Int8    ? v >= -128 && v <= 127
                          : t.dtype == DType::UInt8 ? v >= 0 && v <= 255
                          : t.dtype == DType::Bool  ? v == 0 || v == 1
                                                    : true;
        if (!fits)
            throw Error(ctx, "value " + std::to_string(v) + " does not fit " + dtype_name(t.dtype));
        return double(v);
    };
    t.data.reserve(n);
    switch (t.dtype) {
        case DType::Float:
            only(tp.float_data_size());
            check_count(size_t(tp.float_data_size()));
            for (float v : tp.float_data()) t.data.push_back(v);
            break;
        case DType::Double:
            only(tp.double_data_size());
            check_count(size_t(tp.double_data_size()));
            for (double v : tp.double_data()) t.data.push_back(v);
            break;
        case DType::Int64:
            only(tp.int64_data_size());
            check_count(size_t(tp.int64_data_size()));
            for (int64_t v : tp.int64_data()) t.data.push_back(double(v));
            break;
        case DType::Int8:   // int32_data carries the narrow integer types and bool
        case DType::UInt8:
        case DType::Int32:
        case DType::Bool:
            only(tp.int32_data_size());
            check_count(size_t(tp.int32_data_size()));
            for (int32_t v : tp.int32_data()) t.data.push_back(narrow(v));
            break;
        case DType::Other: break;
    }
    return t;
}

// Integers are written as little-endian raw_data; float and double as raw
// data of their width. Values are converted from double with a range check.
void to_proto(const Tensor& t, pb::TensorProto& tp) {
    const std::string where = "tensor '" + t.name + "'";
    if (t.dtype == DType::Other) throw Error(where, "cannot write element type 'other'");
    if (t.data.size() != t.size())
        throw Error(where, "holds " + std::to_string(t.data.size()) +
                               " elements, its shape needs " + std::to_string(t.size()));
    tp.set_name(t.name);
    tp.set_data_type(to_proto_type(t.dtype));
    for (int64_t d : t.dims) tp.add_dims(d);

    auto checked = [&](double v, double lo, double hi) {
        if (!(v >= lo && v <= hi) || v != std::floor(v))
            throw Error(where, "value " + std::to_string(v) + " does not fit " +
                                   dtype_name(t.dtype));
        return v;
    };
    std::string raw(t.size() * element_bytes(t.dtype), '\0');
    char* p = raw.data();
    for (double v : t.data) {
        switch (t.dtype) {
            case DType::Float: { float f = float(v); std::memcpy(p, &f, 4); break; }
            case DType::Double: std::memcpy(p, &v, 8); break;
            case DType::Int8: *p = char(int8_t(checked(v, -128, 127))); break;
            case DType::UInt8: *p = char(uint8_t(checked(v, 0, 255))); break;
            case DType::Bool: *p = char(checked(v, 0, 1)); break;
            case DType::Int32: {
                int32_t i = int32_t(checked(v, -2147483648.0, 2147483647.0));
                std::memcpy(p, &i, 4);
                break;
            }
            case DType::Int64: {
                int64_t i = int64_t(checked(v, -9.2233720368547758e18, 9.2233720368547748e18));
                std::memcpy(p, &i, 8);
                break;
            }
            case DType::Other: break;
        }
        p += element_bytes(t.dtype);
    }
    tp.set_raw_data(std::move(raw));
}

// ---------------------------------------------------------------- graphs

// where: the file, for errors. A stated dimension must be 0..2^31-1 (a
// negative one is not "unknown": ONNX spells that with dim_param or nothing).
ValueInfo from_proto(const pb::ValueInfoProto& vi, const std::string& where) {
    ValueInfo v;
    v.name = vi.name();
    v.dtype = DType::Other;
    if (vi.type().has_tensor_type()) {
        const auto& tt = vi.type().tensor_type();
        v.dtype = from_proto_type(tt.elem_type());
        if (tt.shape().dim_size() > kMaxRank)
            throw Error(where + " value '" + vi.name() + "'",
                        std::to_string(tt.shape().dim_size()) + " dimensions; at most " +
                            std::to_string(kMaxRank) + " are read");
        for (const auto& d : tt.shape().dim()) {
            if (d.has_dim_value() && (d.dim_value() < 0 || d.dim_value() > kMaxDim))
                throw Error(where + " value '" + vi.name() + "'",
                            "dimension " + std::to_string(d.dim_value()) +
                                (d.dim_value() < 0 ? " is negative" : " is above the reader's limit 2^31-1"));
            v.dims.push_back(d.has_dim_value() ? d.dim_value() : -1);
        }
    }
    return v;
}

void to_proto(const ValueInfo& v, pb::ValueInfoProto& vi) {
    vi.set_name(v.name);
    auto* tt = vi.mutable_type()->mutable_tensor_type();
    tt->set_elem_type(to_proto_type(v.dtype));
    auto* shape = tt->mutable_shape();
    for (int64_t d : v.dims) {
        auto* dim = shape->add_dim();
        if (d < 0) dim->set_dim_param("N");
        else dim->set_dim_value(d);
    }
}

Attribute from_proto(const pb::AttributeProto& ap, const std::string& where) {
    Attribute a;
    switch (ap.type()) {
        case pb::AttributeProto::INT: a.kind = Attribute::Kind::Int; a.i = ap.i(); break;
        case pb::AttributeProto::FLOAT: a.kind = Attribute::Kind::Float; a.f = ap.f(); break;
        case pb::AttributeProto::STRING: a.kind = Attribute::Kind::String; a.s = ap.s(); break;
        case pb::AttributeProto::INTS:
            a.kind = Attribute::Kind::Ints;
            a.ints.assign(ap.ints().begin(), ap.ints().end());
            break;
        case pb::AttributeProto::FLOATS:
            a.kind = Attribute::Kind::Floats;
            a.floats.assign(ap.floats().begin(), ap.floats().end());
            break;
        case pb::AttributeProto::TENSOR:
            a.kind = Attribute::Kind::Tensor;
            a.t = from_proto(ap.t(), where + " attribute '" + ap.name() + "'");
            break;
        default: break;  // graphs, sparse tensors, lists of strings...: Kind::Other
    }
    return a;
}

void to_proto(const std::string& name, const Attribute& a, pb::AttributeProto& ap) {
    ap.set_name(name);
    switch (a.kind) {
        case Attribute::Kind::Int: ap.set_type(pb::AttributeProto::INT); ap.set_i(a.i); break;
        case Attribute::Kind::Float:
            ap.set_type(pb::AttributeProto::FLOAT);
            ap.set_f(float(a.f));
            break;
        case Attribute::Kind::String:
            ap.set_type(pb::AttributeProto::STRING);
            ap.set_s(a.s);
            break;
        case Attribute::Kind::Ints:
            ap.set_type(pb::AttributeProto::INTS);
            for (int64_t v : a.ints) ap.add_ints(v);
            break;
        case Attribute::Kind::Floats:
            ap.set_type(pb::AttributeProto::FLOATS);
            for (double v : a.floats) ap.add_floats(float(v));
            break;
        case Attribute::Kind::Tensor:
            ap.set_type(pb::AttributeProto::TENSOR);
            to_proto(a.t, *ap.mutable_t());
            break;
        case Attribute::Kind::Other:
            throw Error("attribute '" + name + "'", "cannot write an attribute of kind 'other'");
    }
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(path, "cannot open file: " + std::string(std::strerror(errno)));
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) throw Error(path, "read error");
    return bytes;
}

// A file that protobuf accepts is not necessarily a model: random bytes may
// decode as unknown fields, and a file cut at a field boundary decodes as a
// shorter message. Require what every valid model has and that every value
// a node or the graph output reads is defined.
void check_structure(const pb::ModelProto& m, const Graph& g, const std::string& path) {
    const std::string bad = "not an ONNX model (or a truncated one): ";
    if (m.ir_version() <= 0) throw Error(path, bad + "no IR version");
    if (!m.has_graph()) throw Error(path, bad + "no graph");
    if (m.opset_import_size() == 0) throw Error(path, bad + "no opset_import");
    if (g.outputs.empty()) throw Error(path, bad + "the graph has no output");

    std::set<std::string> defined;
    for (const auto& vi : m.graph().input()) defined.insert(vi.name());
    for (const auto& [name, t] : g.initializers) defined.insert(name);
    for (const Node& n : g.nodes) {
        for (const std::string& in : n.inputs)
            if (!in.empty() && !defined.count(in))
                throw Error(path, bad + node_where(n) + " reads '" + in +
                                      "', which nothing defines before it");
        for (const std::string& out : n.outputs) defined.insert(out);
    }
    for (const ValueInfo& out : g.outputs)
        if (!defined.count(out.name))
            throw Error(path, bad + "graph output '" + out.name + "' is not computed");
}

// ONNX's shape inference divides by some attributes without checking them
// (libonnx 1.12: convPoolShapeInference by strides, a SIGFPE for a stride
// of 0, found by fuzz/), and reads a convolution's weight dims without
// checking their rank (a SEGV for scalar weights with auto_pad SAME, found by
// fuzz/): those are checked here first.
void check_before_inference(const Graph& g, const std::string& path) {
    static const std::set<std::string> conv_pool = {"Conv", "ConvInteger", "QLinearConv", "ConvTranspose",
                                                   "MaxPool", "AveragePool", "LpPool", "MaxUnpool"};
    for (const Node& n : g.nodes) {
        if (!n.domain.empty() || !conv_pool.count(n.op_type)) continue;
        for (const char* attr : {"strides", "dilations", "kernel_shape"}) {
            auto it = n.attrs.find(attr);
            if (it == n.attrs.end() || it->second.kind != Attribute::Kind::Ints) continue;
            for (int64_t v : it->second.ints)
                if (v < 1)
                    throw Error(path + " " + node_where(n), std::string(attr) + " value " + std::to_string(v) +
                                                                " is not positive");
        }
        auto group = n.attrs.find("group");
        if (group != n.attrs.end() && group->second.kind == Attribute::Kind::Int && group->second.i < 1)
            throw Error(path + " " + node_where(n), "group " + std::to_string(group->second.i) + " is not positive");
        const size_t wi = n.op_type == "QLinearConv" ? 3 : 1;
        const bool has_weights = n.op_type.find("Conv") != std::string::npos;
        if (!has_weights || wi >= n.inputs.size()) continue;
        long rank = -1;  // the weights' rank where the file states it
        if (const Tensor* w = g.initializer(n.inputs[wi])) rank = long(w->dims.size());
        for (const ValueInfo& in : g.inputs)
            if (in.name == n.inputs[wi]) rank = long(in.dims.size());
        if (rank >= 0 && rank < 3)
            throw Error(path + " " + node_where(n), "weights '" + n.inputs[wi] + "' of rank " + std::to_string(rank) +
                                                        "; a convolution's weights are [M, C/group, kernel...]");
    }
}

// No value may hold more than this many elements (each dim is at most
// kMaxDim already): products of shapes never overflow int64 downstream.
constexpr double kMaxValueElements = double(int64_t(1) << 40);

void check_value_size(const ValueInfo& v, const std::string& where) {
    double n = 1;
    for (int64_t d : v.dims)
        if (d > 0) n *= double(d);
    if (n > kMaxValueElements) {
        std::string shape;
        for (size_t i = 0; i < v.dims.size(); ++i) shape += (i ? "x" : "") + std::to_string(v.dims[i]);
        throw Error(where + " value '" + v.name + "'", "shape " + shape + " holds more than 2^40 elements");
    }
}

// ONNX's own checker, then its shape inference (strict: a node whose shapes
// or types ONNX itself rejects is an error), whose results fill value_info.
// libonnx's shape inference has crashed on malformed models (null pointers,
// divisions by zero) that the checks above cannot all foresee (a computed
// value of the wrong rank into a Conv, found by fuzz/): it first runs in a
// child process, so that a crash of the library is one clear error here.
void infer_in_child_first(pb::ModelProto& m, const std::string& path) {
    std::fflush(nullptr);
    const pid_t pid = fork();
    if (pid < 0) return;  // no child to be had: run it here, as before
    if (pid == 0) {
        // Silent: the parent prints what the library says when it runs it again
        // (and a sanitizer's report of the library's crash is not ours to print).
        const int null_fd = open("/dev/null", O_WRONLY);
        if (null_fd >= 0) {
            dup2(null_fd, 1);
            dup2(null_fd, 2);
        }
        int code = 0;
        try {
            pb::checker::check_model(m);
            pb::shape_inference::InferShapes(m, pb::OpSchemaRegistry::Instance(),
                                             pb::ShapeInferenceOptions(/*check_type=*/true, /*error_mode=*/1));
        } catch (...) {
            code = 3;  // a rejection: the parent runs it again for the message
        }
        _exit(code);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    const bool clean = WIFEXITED(status) && (WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 3);
    if (!clean)
        throw Error(path, "ONNX's shape inference crashed on this model (" +
                              std::string(WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : "abnormal exit") +
                              "): it is malformed in a way libonnx does not check");
}

void check_and_infer(pb::ModelProto& m, Graph& g, const std::string& path) {
    check_before_inference(g, path);
    infer_in_child_first(m, path);
    try {
        pb::checker::check_model(m);
        pb::shape_inference::InferShapes(m, pb::OpSchemaRegistry::Instance(),
                                         pb::ShapeInferenceOptions(/*check_type=*/true, /*error_mode=*/1));
    } catch (const std::exception& e) {
        std::string what = e.what();
        while (!what.empty() && (what.back() == '\n' || what.back() == ' ')) what.pop_back();
        auto nl = what.find('\n');
        if (nl != std::string::npos) what = what.substr(0, nl);
        throw Error(path, "ONNX's checker rejects the model: " + what);
    }
    auto add = [&](const pb::ValueInfoProto& vi) {
        if (!vi.type().has_tensor_type() || !vi.type().tensor_type().has_shape()) return;
        const ValueInfo v = from_proto(vi, path + " (shape inference)");
        check_value_size(v, path + " (shape inference)");
        g.value_info[vi.name()] = v;
    };
    for (const auto& vi : m.graph().input()) add(vi);
    for (const auto& vi : m.graph().value_info()) add(vi);
    for (const auto& vi : m.graph().output()) add(vi);
}

}  // namespace

// ---------------------------------------------------------------- public API

Graph load_model(const std::string& path, bool onnx_checks) {
    return parse_model(read_file(path), path, onnx_checks);
}

Graph parse_model(const std::string& bytes, const std::string& path, bool onnx_checks) {
    pb::ModelProto m;
    if (!m.ParseFromString(bytes))
        throw Error(path, "not an ONNX model (or a truncated one): protobuf cannot parse it");

    Graph g;
    const pb::GraphProto& gp = m.graph();
    g.name = gp.name();
    for (const auto& op : m.opset_import())
        if (op.domain().empty() || op.domain() == "ai.onnx") g.opset = op.version();

    for (const auto& tp : gp.initializer()) {
        if (tp.name().empty()) throw Error(path, "an initializer has no name");
        g.initializers[tp.name()] = from_proto(tp, path);
    }
    if (gp.sparse_initializer_size() > 0)
        throw Error(path, "sparse initializers are not supported");
    for (const auto& vi : gp.input())
        if (!g.initializers.count(vi.name())) g.inputs.push_back(from_proto(vi, path));
    for (const auto& vi : gp.output()) g.outputs.push_back(from_proto(vi, path));
    for (const ValueInfo& v : g.inputs) check_value_size(v, path);
    for (const ValueInfo& v : g.outputs) check_value_size(v, path);

    for (int i = 0; i < gp.node_size(); ++i) {
        const pb::NodeProto& np = gp.node(i);
        Node n;
        n.op_type = np.op_type();
        n.name = np.name().empty() ? n.op_type + "_" + std::to_string(i) : np.name();
        n.domain = np.domain() == "ai.onnx" ? "" : np.domain();
        n.inputs.assign(np.input().begin(), np.input().end());
        n.outputs.assign(np.output().begin(), np.output().end());
        for (const auto& ap : np.attribute())
            n.attrs[ap.name()] = from_proto(ap, path + " " + node_where(n));
        g.nodes.push_back(std::move(n));
    }
    check_structure(m, g, path);
    if (onnx_checks) check_and_infer(m, g, path);
    return g;
}

namespace {

pb::ModelProto to_model_proto(const Graph& g) {
    pb::ModelProto m;
    m.set_ir_version(8);
    m.set_producer_name("cnnstream");
    auto* opset = m.add_opset_import();
    opset->set_domain("");
    opset->set_version(g.opset > 0 ? g.opset : 13);
    std::set<std::string> domains;  // e.g. com.microsoft (QLinearAdd): version 1
    for (const Node& n : g.nodes)
        if (!n.domain.empty() && n.domain != "ai.onnx" && domains.insert(n.domain).second) {
            auto* d = m.add_opset_import();
            d->set_domain(n.domain);
            d->set_version(1);
        }

    pb::GraphProto& gp = *m.mutable_graph();
    gp.set_name(g.name.empty() ? "graph" : g.name);
    for (const Node& n : g.nodes) {
        pb::NodeProto& np = *gp.add_node();
        np.set_name(n.name);
        np.set_op_type(n.op_type);
        if (!n.domain.empty()) np.set_domain(n.domain);
        for (const auto& in : n.inputs) np.add_input(in);
        for (const auto& out : n.outputs) np.add_output(out);
        for (const auto& [name, a] : n.attrs) to_proto(name, a, *np.add_attribute());
    }
    for (const auto& [name, t] : g.initializers) {
        pb::TensorProto& tp = *gp.add_initializer();
        to_proto(t, tp);
        tp.set_name(name);  // the map key is authoritative
    }
    for (const ValueInfo& v : g.inputs) to_proto(v, *gp.add_input());
    for (const ValueInfo& v : g.outputs) to_proto(v, *gp.add_output());
    return m;
}

}  // namespace

std::string serialize_model(const Graph& g) {
    std::string bytes;
    if (!to_model_proto(g).SerializeToString(&bytes))
        throw Error("graph '" + g.name + "'", "cannot serialise the model (over protobuf's 2 GiB?)");
    return bytes;
}

void save_model(const Graph& g, const std::string& path) {
    const pb::ModelProto m = to_model_proto(g);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) throw Error(path, "cannot create file: " + std::string(std::strerror(errno)));
    if (!m.SerializeToOstream(&out) || !out.flush())
        throw Error(path, "write error");
}

Tensor load_tensor(const std::string& path) {
    const std::string bytes = read_file(path);
    pb::TensorProto tp;
    if (!tp.ParseFromString(bytes))
        throw Error(path, "not a serialized ONNX tensor (or a truncated one)");
    if (!tp.has_data_type()) throw Error(path, "not a serialized ONNX tensor: no element type");
    return from_proto(tp, path);
}

}  // namespace cnn::onnx
