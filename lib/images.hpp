// Image loading for the harness and the quantizer's calibration: image files,
// folders of them, and IDX files (the MNIST format), all turned into 8-bit
// HWC pixels of the size the model expects. SPEC.md §2 takes it from there
// (x = p / 255, then the model's first QuantizeLinear).
//
// What is read
// ------------
// * One image file: .png .jpg .jpeg .pgm .ppm .pnm .bmp (any case), 8 bits per
//   channel, decoded by OpenCV. Colour files are returned as RGB (channel 0 =
//   red), an alpha channel is dropped.
// * A folder: every image file below it (subfolders included, names starting
//   with '.' skipped, other files ignored), in byte order of the path relative
//   to the folder ("img10.png" sorts before "img2.png"). Deterministic.
// * An IDX file (any other name): unsigned-byte data, dims [N,H,W] (1 channel)
//   or [N,H,W,C]. "file#k" reads image k of it only. A gzip-compressed file
//   is refused with a hint to gunzip it.
//
// Labels (Image::label, -1 when unknown)
// --------------------------------------
// * Image files, in this order of precedence:
//     1. the name ends in "_label<N>" before the extension: "x_label7.png" -> 7;
//     2. the parent folder's name is a number: "digits/7/a.png" -> 7.
// * IDX images: from the sibling labels file, found by replacing in the file
//   name the last "images" with "labels" and "idx3"/"idx4" with "idx1":
//     train-images-idx3-ubyte -> train-labels-idx1-ubyte,  foo-images.idx -> foo-labels.idx.
//   When that file exists it must be a 1-D unsigned-byte IDX with one label
//   per image (else an error); when it does not, labels are -1.
//
// Size and channels
// -----------------
// An image must already be spec.h x spec.w x spec.c, else a cnn::Error names
// the file, the expected and the found size. Two exceptions:
// * a colour file whose three channels are equal everywhere is grey content,
//   and is read as 1 channel when 1 is asked for (this loses nothing);
// * spec.resize = true adapts any image: channels first (grey -> RGB by
//   replication, RGB -> grey by OpenCV's luma weights), then the size with
//   cv::INTER_AREA.
// Errors (cnn::Error, where = the file): missing path, unreadable or
// undecodable file, non-8-bit image, empty folder, bad IDX magic or element
// type, truncated or oversized IDX, label count differing from image count,
// a folder that cannot be listed, a symbolic link loop in a folder (or a
// second link to a folder already read: nothing is read twice).
//
// Bad entries of a folder
// -----------------------
// Given an `on_bad` callback, a folder's bad entries (an image that cannot be
// read or has the wrong size, a subfolder that cannot be listed, a link loop)
// are passed to it, one cnn::Error each, and skipped: every good image is
// still returned (`limit` counts good images). Without it the first one
// throws. Either way a folder with no good image is an error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace cnn {

struct Image {
    std::string id;               // file path, or "file.idx#index" for an IDX entry
    int label = -1;               // -1 when unknown
    int c = 0, h = 0, w = 0;
    std::vector<uint8_t> pixels;  // h * w * c bytes, HWC; channel 0 = red, 1 = green, 2 = blue
};

struct ImageSpec {
    int c, h, w;                  // what the model's input wants
    bool resize = false;          // adapt size and channel count instead of refusing
};

// Reads `path` (file, folder or IDX, see above); at most `limit` images when
// limit > 0 (the first ones in order). Never returns an empty vector: no image
// is an error.
class Error;
using BadEntry = std::function<void(const Error&)>;
std::vector<Image> load_images(const std::string& path, const ImageSpec& spec, size_t limit = 0,
                               const BadEntry& on_bad = {});

// One IDX array: dims and unsigned-byte data, row-major.
struct IdxArray {
    std::vector<uint32_t> dims;
    std::vector<uint8_t> data;
};

// Reads an unsigned-byte IDX file, checking magic, element type and size.
IdxArray read_idx(const std::string& path);

// Writes an unsigned-byte IDX file; data.size() must be the product of dims.
void write_idx(const std::string& path, const std::vector<uint32_t>& dims,
               const std::vector<uint8_t>& data);

// Writes images of one size as IDX: dims [N,H,W] when c == 1, else [N,H,W,C].
void write_idx_images(const std::string& path, const std::vector<Image>& images);

// Writes labels (each 0..255) as a 1-D IDX file.
void write_idx_labels(const std::string& path, const std::vector<int>& labels);

// Writes each image as a PNG in dir (created): <index>_label<N>.png, or
// <index>.png without a label, so load_images reads the labels back.
void write_pngs(const std::string& dir, const std::vector<Image>& images);

}  // namespace cnn
