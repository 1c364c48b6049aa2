// Image loading: files and folders through OpenCV, IDX by hand. The rules
// (labels, sizes, channel conversion) are documented in images.hpp.
#include "images.hpp"

#include "error.hpp"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <utility>

#include <sys/stat.h>

namespace fs = std::filesystem;

namespace cnn {
namespace {

const char* const kImageExtensions[] = {".png", ".jpg", ".jpeg", ".pgm", ".ppm", ".pnm", ".bmp"};

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char ch) { return std::tolower(ch); });
    return s;
}

bool is_image_file(const fs::path& p) {
    const std::string ext = lower(p.extension().string());
    return std::find(std::begin(kImageExtensions), std::end(kImageExtensions), ext) !=
           std::end(kImageExtensions);
}

bool all_digits(const std::string& s) {
    return !s.empty() && s.size() <= 9 &&
           std::all_of(s.begin(), s.end(), [](unsigned char ch) { return std::isdigit(ch); });
}

// "x_label7.png" -> 7, else a parent folder named by a number, else -1.
int label_from_path(const fs::path& p) {
    const std::string stem = p.stem().string();
    const size_t at = stem.rfind("_label");
    if (at != std::string::npos && all_digits(stem.substr(at + 6)))
        return std::stoi(stem.substr(at + 6));
    const std::string parent = p.parent_path().filename().string();
    if (all_digits(parent))
        return std::stoi(parent);
    return -1;
}

std::string shape_str(int h, int w, int c) {
    return std::to_string(h) + "x" + std::to_string(w) + "x" + std::to_string(c) + " (HxWxC)";
}

// True when every pixel of a 3-channel 8-bit image has r == g == b.
bool channels_equal(const cv::Mat& m) {
    for (int y = 0; y < m.rows; ++y) {
        const cv::Vec3b* row = m.ptr<cv::Vec3b>(y);
        for (int x = 0; x < m.cols; ++x)
            if (row[x][0] != row[x][1] || row[x][1] != row[x][2])
                return false;
    }
    return true;
}

// Brings an 8-bit RGB or grey matrix to spec's shape, or explains why not.
// `id` names the image in errors.
Image to_image(cv::Mat m, const ImageSpec& spec, const std::string& id, int label) {
    const int found_c = m.channels();
    if (found_c != spec.c) {
        if (found_c == 3 && spec.c == 1 && (spec.resize || channels_equal(m))) {
            // Exact when the channels are equal; luma otherwise (resize asked).
            cv::Mat grey;
            cv::cvtColor(m, grey, cv::COLOR_RGB2GRAY);
            m = grey;
        } else if (found_c == 1 && spec.c == 3 && spec.resize) {
            cv::Mat rgb;
            cv::cvtColor(m, rgb, cv::COLOR_GRAY2RGB);
            m = rgb;
        } else {
            throw Error(id, "image is " + shape_str(m.rows, m.cols, found_c) + ", the model expects " +
                                shape_str(spec.h, spec.w, spec.c) +
                                (spec.resize ? " (no conversion between these channel counts)"
                                             : " (resizing/conversion not requested)"));
        }
    }
    if (m.rows != spec.h || m.cols != spec.w) {
        if (!spec.resize)
            throw Error(id, "image is " + shape_str(m.rows, m.cols, m.channels()) +
                                ", the model expects " + shape_str(spec.h, spec.w, spec.c) +
                                " (resizing not requested)");
        cv::Mat resized;
        cv::resize(m, resized, cv::Size(spec.w, spec.h), 0, 0, cv::INTER_AREA);
        m = resized;
    }
    Image img;
    img.id = id;
    img.label = label;
    img.c = spec.c;
    img.h = spec.h;
    img.w = spec.w;
    img.pixels.reserve(size_t(spec.h) * spec.w * spec.c);
    const size_t row_bytes = size_t(spec.w) * spec.c;
    for (int y = 0; y < m.rows; ++y) {
        const uint8_t* row = m.ptr<uint8_t>(y);
        img.pixels.insert(img.pixels.end(), row, row + row_bytes);
    }
    return img;
}

Image load_image_file(const fs::path& p, const ImageSpec& spec) {
    const std::string id = p.string();
    // Read the bytes ourselves so that "missing" and "not decodable" differ.
    std::ifstream in(p, std::ios::binary);
    if (!in)
        throw Error(id, "cannot open the file");
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (bytes.empty())
        throw Error(id, "the file is empty");
    cv::Mat raw;
    try {
        raw = cv::imdecode(bytes, cv::IMREAD_UNCHANGED);
    } catch (const cv::Exception& e) {  // e.g. a header claiming more pixels than OpenCV allows
        throw Error(id, "cannot decode the image: " + e.err);
    }
    if (raw.empty())
        throw Error(id, "cannot decode the image (corrupt or not a " + lower(p.extension().string()) +
                            " file)");
    if (raw.depth() != CV_8U)
        throw Error(id, "only 8-bit images are supported (this one has " +
                            std::to_string(8 * raw.elemSize1()) + "-bit channels)");
    cv::Mat m;
    switch (raw.channels()) {
        case 1: m = raw; break;
        case 3: cv::cvtColor(raw, m, cv::COLOR_BGR2RGB); break;
        case 4: cv::cvtColor(raw, m, cv::COLOR_BGRA2RGB); break;  // alpha dropped
        default:
            throw Error(id, "unsupported channel count " + std::to_string(raw.channels()));
    }
    return to_image(m, spec, id, label_from_path(p));
}

// Lists the image files below `dir` into `files`. Each folder is read once,
// by (device, inode): a link back to a folder being read (a loop), or a
// second link to one already read, is a bad entry. Bad entries go to on_bad
// when given, else throw.
void list_images(const fs::path& dir, std::set<std::pair<dev_t, ino_t>>& seen, std::vector<fs::path>& files,
                 const BadEntry& on_bad, bool top) {
    // The folder asked for itself must be readable; below it, bad entries are skipped.
    auto bad_folder = [&](const Error& e) {
        if (!on_bad || top) throw e;
        on_bad(e);
    };
    auto bad = [&](const Error& e) {
        if (!on_bad) throw e;
        on_bad(e);
    };
    struct stat st;
    if (::stat(dir.c_str(), &st) != 0) return bad_folder(Error(dir.string(), "cannot list the folder: " +
                                                                        std::string(std::strerror(errno))));
    if (!seen.insert({st.st_dev, st.st_ino}).second)
        return bad_folder(Error(dir.string(), "a symbolic link loop, or a second link to a folder already read "
                                       "(not read again)"));
    std::error_code ec;
    fs::directory_iterator it(dir, ec);
    if (ec) return bad_folder(Error(dir.string(), "cannot list the folder: " + ec.message()));
    std::vector<fs::path> subdirs;
    for (const fs::directory_iterator end; it != end; it.increment(ec)) {
        if (ec) return bad_folder(Error(dir.string(), "cannot list the folder: " + ec.message()));
        const fs::path& p = it->path();
        if (p.filename().string().rfind('.', 0) == 0) continue;  // hidden: skipped, not descended
        std::error_code sec;
        const fs::file_status status = it->status(sec);  // follows links
        if (sec) {
            if (is_image_file(p)) bad(Error(p.string(), "cannot read: " + sec.message()));
            else if (fs::is_symlink(it->symlink_status(sec)))
                bad(Error(p.string(), "a symbolic link that leads nowhere readable"));
            continue;
        }
        if (fs::is_directory(status)) subdirs.push_back(p);
        else if (fs::is_regular_file(status) && is_image_file(p)) files.push_back(p);
    }
    std::sort(subdirs.begin(), subdirs.end());  // a deterministic walk (the files are sorted at the end)
    for (const fs::path& d : subdirs) list_images(d, seen, files, on_bad, false);
}

std::vector<Image> load_folder(const fs::path& dir, const ImageSpec& spec, size_t limit, const BadEntry& on_bad) {
    std::vector<fs::path> files;
    std::set<std::pair<dev_t, ino_t>> seen;
    list_images(dir, seen, files, on_bad, true);
    if (files.empty())
        throw Error(dir.string(), "no image files (.png .jpg .jpeg .pgm .ppm .pnm .bmp) in the folder");
    std::sort(files.begin(), files.end(), [&](const fs::path& a, const fs::path& b) {
        return a.lexically_relative(dir).generic_string() < b.lexically_relative(dir).generic_string();
    });
    std::vector<Image> images;
    size_t bad = 0;
    for (const fs::path& f : files) {
        if (limit > 0 && images.size() >= limit) break;
        if (!on_bad) {
            images.push_back(load_image_file(f, spec));
            continue;
        }
        try {
            images.push_back(load_image_file(f, spec));
        } catch (const Error& e) {
            ++bad;
            on_bad(e);
        }
    }
    if (images.empty())
        throw Error(dir.string(), "none of the " + std::to_string(bad) + " image files in the folder could be read");
    return images;
}

// The labels file next to an IDX images file (see images.hpp), or "" if the
// name has no "images" in it.
fs::path sibling_labels(const fs::path& images) {
    std::string name = images.filename().string();
    const size_t at = name.rfind("images");
    if (at == std::string::npos)
        return {};
    name.replace(at, 6, "labels");
    for (const char* idx : {"idx3", "idx4"}) {
        const size_t i = name.find(idx);
        if (i != std::string::npos)
            name.replace(i, 4, "idx1");
    }
    return images.parent_path() / name;
}

std::vector<Image> load_idx(const fs::path& p, const ImageSpec& spec, size_t limit, long only) {
    const std::string file = p.string();
    const IdxArray a = read_idx(file);
    if (a.dims.size() != 3 && a.dims.size() != 4)
        throw Error(file, "an IDX image file has dims [N,H,W] or [N,H,W,C], this one has " +
                              std::to_string(a.dims.size()) + " dims");
    const size_t n = a.dims[0];
    const int h = int(a.dims[1]), w = int(a.dims[2]);
    const int c = a.dims.size() == 4 ? int(a.dims[3]) : 1;
    if (n == 0 || h == 0 || w == 0 || c == 0)
        throw Error(file, "the IDX file holds no images (dims with a 0)");
    if (c != 1 && c != 3)
        throw Error(file, "IDX images must have 1 or 3 channels, found " + std::to_string(c));
    if (only >= 0 && size_t(only) >= n)
        throw Error(file, "image #" + std::to_string(only) + " asked, the file holds " +
                              std::to_string(n));

    std::vector<int> labels(n, -1);
    const fs::path lp = sibling_labels(p);
    if (!lp.empty() && lp != p && fs::exists(lp)) {
        const IdxArray l = read_idx(lp.string());
        if (l.dims.size() != 1 || l.dims[0] != n)
            throw Error(lp.string(), "a labels file must be 1-D with one label per image (" +
                                         std::to_string(n) + " images in " + file + ")");
        std::copy(l.data.begin(), l.data.end(), labels.begin());
    }

    size_t first = 0, count = n;
    if (only >= 0)
        first = size_t(only), count = 1;
    else if (limit > 0)
        count = std::min(n, limit);
    const size_t bytes = size_t(h) * w * c;
    std::vector<Image> images;
    images.reserve(count);
    for (size_t k = first; k < first + count; ++k) {
        // A view on the IDX data; to_image copies what it keeps.
        cv::Mat m(h, w, CV_8UC(c), const_cast<uint8_t*>(a.data.data() + k * bytes));
        images.push_back(to_image(m, spec, file + "#" + std::to_string(k), labels[k]));
    }
    return images;
}

uint32_t read_be32(const uint8_t* b) {
    return uint32_t(b[0]) << 24 | uint32_t(b[1]) << 16 | uint32_t(b[2]) << 8 | uint32_t(b[3]);
}

void write_file(const std::string& path, const std::vector<uint8_t>& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
    out.close();
    if (!out)
        throw Error(path, "cannot write the file");
}

}  // namespace

IdxArray read_idx(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw Error(path, "cannot open the file");
    const std::vector<uint8_t> raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (raw.size() >= 2 && raw[0] == 0x1f && raw[1] == 0x8b)
        throw Error(path, "the file is gzip-compressed; gunzip it first");
    if (raw.size() < 4 || raw[0] != 0 || raw[1] != 0) {
        std::ostringstream magic;
        magic << std::hex;
        for (size_t i = 0; i < std::min<size_t>(4, raw.size()); ++i)
            magic << (raw[i] < 16 ? "0" : "") << int(raw[i]);
        throw Error(path, "not an image file (.png .jpg .jpeg .pgm .ppm .pnm .bmp) nor an IDX file "
                          "(magic 0x" + magic.str() + ", an IDX file starts with 0x0000)");
    }
    if (raw[2] != 0x08) {
        std::ostringstream type;
        type << std::hex << int(raw[2]);
        throw Error(path, "IDX element type 0x" + type.str() +
                              " is not supported, only unsigned byte (0x8)");
    }
    const size_t ndim = raw[3];
    if (ndim == 0)
        throw Error(path, "IDX file with 0 dimensions");
    const size_t header = 4 + 4 * ndim;
    if (raw.size() < header)
        throw Error(path, "truncated IDX header: " + std::to_string(ndim) + " dims need " +
                              std::to_string(header) + " bytes, the file has " + std::to_string(raw.size()));
    IdxArray a;
    uint64_t count = 1;
    for (size_t i = 0; i < ndim; ++i) {
        a.dims.push_back(read_be32(&raw[4 + 4 * i]));
        count *= a.dims.back();
        if (count > (uint64_t(1) << 40))
            throw Error(path, "IDX dims are implausibly large");
    }
    const uint64_t expected = header + count;
    if (raw.size() != expected)
        throw Error(path, std::string(raw.size() < expected ? "truncated" : "oversized") +
                              " IDX file: its header says " + std::to_string(expected) +
                              " bytes, the file has " + std::to_string(raw.size()));
    a.data.assign(raw.begin() + long(header), raw.end());
    return a;
}

void write_idx(const std::string& path, const std::vector<uint32_t>& dims, const std::vector<uint8_t>& data) {
    if (dims.empty() || dims.size() > 255)
        throw Error(path, "an IDX file has 1 to 255 dims");
    uint64_t count = 1;
    for (uint32_t d : dims)
        count *= d;
    if (count != data.size())
        throw Error(path, "write_idx: dims hold " + std::to_string(count) + " values, data has " +
                              std::to_string(data.size()));
    std::vector<uint8_t> bytes = {0, 0, 0x08, uint8_t(dims.size())};
    for (uint32_t d : dims)
        for (int shift = 24; shift >= 0; shift -= 8)
            bytes.push_back(uint8_t(d >> shift));
    bytes.insert(bytes.end(), data.begin(), data.end());
    write_file(path, bytes);
}

void write_idx_images(const std::string& path, const std::vector<Image>& images) {
    if (images.empty())
        throw Error(path, "write_idx_images: no images");
    const Image& first = images.front();
    std::vector<uint8_t> data;
    data.reserve(images.size() * first.pixels.size());
    for (const Image& img : images) {
        if (img.c != first.c || img.h != first.h || img.w != first.w ||
            img.pixels.size() != size_t(img.c) * img.h * img.w)
            throw Error(path, "write_idx_images: " + img.id + " is " + shape_str(img.h, img.w, img.c) +
                                  ", the first image is " + shape_str(first.h, first.w, first.c));
        data.insert(data.end(), img.pixels.begin(), img.pixels.end());
    }
    std::vector<uint32_t> dims = {uint32_t(images.size()), uint32_t(first.h), uint32_t(first.w)};
    if (first.c != 1)
        dims.push_back(uint32_t(first.c));
    write_idx(path, dims, data);
}

void write_idx_labels(const std::string& path, const std::vector<int>& labels) {
    std::vector<uint8_t> data;
    data.reserve(labels.size());
    for (int l : labels) {
        if (l < 0 || l > 255)
            throw Error(path, "write_idx_labels: label " + std::to_string(l) + " is not in 0..255");
        data.push_back(uint8_t(l));
    }
    write_idx(path, {uint32_t(labels.size())}, data);
}

std::vector<Image> load_images(const std::string& path, const ImageSpec& spec, size_t limit, const BadEntry& on_bad) {
    if (spec.c <= 0 || spec.h <= 0 || spec.w <= 0)
        throw Error(path, "bad image spec " + shape_str(spec.h, spec.w, spec.c));
    const fs::path p(path);
    std::error_code ec;
    if (fs::is_directory(p, ec))
        return load_folder(p, spec, limit, on_bad);
    if (fs::is_regular_file(p, ec))
        return is_image_file(p) ? std::vector<Image>{load_image_file(p, spec)}
                                : load_idx(p, spec, limit, -1);
    // "file#k": image k of an IDX file.
    const size_t hash = path.rfind('#');
    if (hash != std::string::npos && all_digits(path.substr(hash + 1)) &&
        fs::is_regular_file(path.substr(0, hash), ec) && !is_image_file(path.substr(0, hash)))
        return load_idx(path.substr(0, hash), spec, 0, std::stol(path.substr(hash + 1)));
    throw Error(path, "no such file or folder");
}

void write_pngs(const std::string& dir, const std::vector<Image>& images) {
    std::filesystem::create_directories(dir);
    for (size_t i = 0; i < images.size(); ++i) {
        const Image& img = images[i];
        cv::Mat m(img.h, img.w, img.c == 1 ? CV_8UC1 : CV_8UC3, const_cast<uint8_t*>(img.pixels.data()));
        cv::Mat out;
        if (img.c == 3) cv::cvtColor(m, out, cv::COLOR_RGB2BGR);  // OpenCV writes BGR
        else out = m;
        char name[64];
        if (img.label >= 0) std::snprintf(name, sizeof name, "%05zu_label%d.png", i, img.label);
        else std::snprintf(name, sizeof name, "%05zu.png", i);
        const std::string path = dir + "/" + name;
        if (!cv::imwrite(path, out)) throw Error(path, "cannot write the PNG");
    }
}

}  // namespace cnn
