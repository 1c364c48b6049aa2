// Image loading (lib/images.hpp): files, folders and IDX written here into a
// temporary folder and read back, and every refusal the header promises.
#include "images.hpp"

#include "error.hpp"

#include <doctest/doctest.h>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;
using cnn::Image;
using cnn::ImageSpec;
using cnn::load_images;

namespace {

// A fresh temporary folder, removed with everything in it at scope exit.
struct TempDir {
    fs::path path;
    TempDir() {
        static std::atomic<int> counter{0};
        path = fs::temp_directory_path() /
               ("cnn_images_test_" + std::to_string(getpid()) + "_" + std::to_string(counter++));
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    std::string operator/(const std::string& name) const { return (path / name).string(); }
};

// A grey h x w image whose pixel (y, x) is (seed + 7y + 3x) mod 256.
cv::Mat grey_pattern(int h, int w, int seed = 0) {
    cv::Mat m(h, w, CV_8UC1);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            m.at<uint8_t>(y, x) = uint8_t(seed + 7 * y + 3 * x);
    return m;
}

std::vector<uint8_t> bytes_of(const cv::Mat& m) {
    return std::vector<uint8_t>(m.data, m.data + m.total() * m.elemSize());
}

void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
}

std::vector<uint8_t> read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The message of the cnn::Error that f throws ("" when it throws none).
template <typename F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const cnn::Error& e) {
        return e.what();
    }
    return "";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("a grey PNG reads back pixel for pixel, with its path as id") {
    TempDir dir;
    const cv::Mat m = grey_pattern(28, 28);
    REQUIRE(cv::imwrite(dir / "digit.png", m));
    const auto images = load_images(dir / "digit.png", {1, 28, 28});
    REQUIRE(images.size() == 1);
    CHECK(images[0].id == dir / "digit.png");
    CHECK(images[0].label == -1);
    CHECK(images[0].c == 1);
    CHECK(images[0].h == 28);
    CHECK(images[0].w == 28);
    CHECK(images[0].pixels == bytes_of(m));
}

TEST_CASE("a colour PNG reads back as RGB in HWC order") {
    TempDir dir;
    cv::Mat bgr(2, 3, CV_8UC3);
    for (int y = 0; y < 2; ++y)
        for (int x = 0; x < 3; ++x)
            bgr.at<cv::Vec3b>(y, x) = cv::Vec3b(uint8_t(10 * x + y), uint8_t(100 + x), uint8_t(200 + y));
    REQUIRE(cv::imwrite(dir / "colour.png", bgr));
    const auto images = load_images(dir / "colour.png", {3, 2, 3});
    REQUIRE(images.size() == 1);
    std::vector<uint8_t> expected;
    for (int y = 0; y < 2; ++y)
        for (int x = 0; x < 3; ++x) {
            const cv::Vec3b p = bgr.at<cv::Vec3b>(y, x);
            expected.insert(expected.end(), {p[2], p[1], p[0]});  // red, green, blue
        }
    CHECK(images[0].pixels == expected);
}

TEST_CASE("a JPEG and a BMP read as RGB too") {
    TempDir dir;
    const cv::Mat bgr(8, 8, CV_8UC3, cv::Scalar(40, 120, 200));  // blue 40, green 120, red 200
    REQUIRE(cv::imwrite(dir / "c.jpg", bgr));
    REQUIRE(cv::imwrite(dir / "c.bmp", bgr));
    for (const char* name : {"c.jpg", "c.bmp"}) {
        const auto images = load_images(dir / name, {3, 8, 8});
        REQUIRE(images.size() == 1);
        // JPEG is lossy: a flat colour comes back within a step or two.
        CHECK(std::abs(int(images[0].pixels[0]) - 200) <= 2);
        CHECK(std::abs(int(images[0].pixels[1]) - 120) <= 2);
        CHECK(std::abs(int(images[0].pixels[2]) - 40) <= 2);
    }
}

TEST_CASE("a hand-written binary PGM reads back") {
    TempDir dir;
    std::vector<uint8_t> file = {'P', '5', '\n', '3', ' ', '2', '\n', '2', '5', '5', '\n'};
    const std::vector<uint8_t> pixels = {0, 1, 2, 253, 254, 255};
    file.insert(file.end(), pixels.begin(), pixels.end());
    write_bytes(dir / "tiny.pgm", file);
    const auto images = load_images(dir / "tiny.pgm", {1, 2, 3});
    REQUIRE(images.size() == 1);
    CHECK(images[0].pixels == pixels);
}

TEST_CASE("a folder reads in byte order of relative paths, labels from names and digit folders") {
    TempDir dir;
    fs::create_directories(dir.path / "7");
    fs::create_directories(dir.path / ".cache");
    REQUIRE(cv::imwrite(dir / "b_label3.png", grey_pattern(4, 4, 2)));
    REQUIRE(cv::imwrite(dir / "a_label1.PNG", grey_pattern(4, 4, 1)));
    REQUIRE(cv::imwrite(dir / "c.png", grey_pattern(4, 4, 3)));
    REQUIRE(cv::imwrite(dir / "7/x.png", grey_pattern(4, 4, 4)));
    REQUIRE(cv::imwrite(dir / "7/y_label5.png", grey_pattern(4, 4, 5)));  // the name wins
    REQUIRE(cv::imwrite(dir / ".hidden.png", grey_pattern(4, 4, 9)));    // skipped
    REQUIRE(cv::imwrite(dir / ".cache/z.png", grey_pattern(4, 4, 9)));   // skipped
    write_bytes(dir / "notes.txt", {'h', 'i'});                          // not an image: ignored

    const auto images = load_images(dir.path.string(), {1, 4, 4});
    REQUIRE(images.size() == 5);
    CHECK(images[0].id == dir / "7/x.png");
    CHECK(images[0].label == 7);
    CHECK(images[1].id == dir / "7/y_label5.png");
    CHECK(images[1].label == 5);
    CHECK(images[2].label == 1);
    CHECK(images[3].label == 3);
    CHECK(images[4].id == dir / "c.png");
    CHECK(images[4].label == -1);
    CHECK(images[2].pixels == bytes_of(grey_pattern(4, 4, 1)));
    CHECK(images[4].pixels == bytes_of(grey_pattern(4, 4, 3)));

    const auto first_two = load_images(dir.path.string(), {1, 4, 4}, 2);
    REQUIRE(first_two.size() == 2);
    CHECK(first_two[1].id == dir / "7/y_label5.png");
}

TEST_CASE("a wrong size is an error naming the file, the expected and the found size") {
    TempDir dir;
    REQUIRE(cv::imwrite(dir / "big.png", grey_pattern(32, 30)));
    const std::string msg = error_of([&] { load_images(dir / "big.png", {1, 28, 28}); });
    CHECK(contains(msg, dir / "big.png"));
    CHECK(contains(msg, "32x30x1"));
    CHECK(contains(msg, "28x28x1"));
}

TEST_CASE("resize on request uses area averaging") {
    TempDir dir;
    // 2x2 blocks of one value: INTER_AREA halving gives the block values exactly.
    const cv::Mat small = grey_pattern(14, 14);
    cv::Mat big(28, 28, CV_8UC1);
    for (int y = 0; y < 28; ++y)
        for (int x = 0; x < 28; ++x)
            big.at<uint8_t>(y, x) = small.at<uint8_t>(y / 2, x / 2);
    REQUIRE(cv::imwrite(dir / "big.png", big));
    ImageSpec spec{1, 14, 14};
    spec.resize = true;
    const auto images = load_images(dir / "big.png", spec);
    REQUIRE(images.size() == 1);
    CHECK(images[0].h == 14);
    CHECK(images[0].w == 14);
    CHECK(images[0].pixels == bytes_of(small));
}

TEST_CASE("channel counts: grey to RGB only on request, colour to grey when exact or on request") {
    TempDir dir;
    REQUIRE(cv::imwrite(dir / "grey.png", grey_pattern(4, 4)));
    CHECK(contains(error_of([&] { load_images(dir / "grey.png", {3, 4, 4}); }), "4x4x3"));
    ImageSpec adapt{3, 4, 4};
    adapt.resize = true;
    const auto rgb = load_images(dir / "grey.png", adapt);
    REQUIRE(rgb.size() == 1);
    REQUIRE(rgb[0].pixels.size() == 48);
    const auto grey = bytes_of(grey_pattern(4, 4));
    for (size_t i = 0; i < 16; ++i)
        for (size_t ch = 0; ch < 3; ++ch)
            CHECK(rgb[0].pixels[3 * i + ch] == grey[i]);

    // A colour file holding grey content reads as 1 channel with nothing lost.
    cv::Mat grey3;
    cv::Mat planes[] = {grey_pattern(4, 4), grey_pattern(4, 4), grey_pattern(4, 4)};
    cv::merge(planes, 3, grey3);
    REQUIRE(cv::imwrite(dir / "grey3.png", grey3));
    CHECK(load_images(dir / "grey3.png", {1, 4, 4})[0].pixels == grey);

    // Real colour asked as grey: refused unless adapting is asked.
    cv::Mat colour(4, 4, CV_8UC3, cv::Scalar(0, 0, 255));
    REQUIRE(cv::imwrite(dir / "red.png", colour));
    CHECK(contains(error_of([&] { load_images(dir / "red.png", {1, 4, 4}); }), "4x4x3"));
    ImageSpec to_grey{1, 4, 4};
    to_grey.resize = true;
    const auto luma = load_images(dir / "red.png", to_grey);
    CHECK(luma[0].pixels == std::vector<uint8_t>(16, 76));  // 0.299 * 255, rounded
}

TEST_CASE("IDX images and their sibling labels file read back, in order") {
    TempDir dir;
    std::vector<Image> written;
    for (int k = 0; k < 5; ++k) {
        Image img;
        img.id = std::to_string(k);
        img.c = 1, img.h = 3, img.w = 2;
        img.pixels = {uint8_t(k), uint8_t(k + 1), uint8_t(k + 2), 40, 50, uint8_t(250 - k)};
        written.push_back(img);
    }
    cnn::write_idx_images(dir / "t-images-idx3-ubyte", written);
    cnn::write_idx_labels(dir / "t-labels-idx1-ubyte", {9, 0, 4, 4, 255});

    const auto images = load_images(dir / "t-images-idx3-ubyte", {1, 3, 2});
    REQUIRE(images.size() == 5);
    const int labels[] = {9, 0, 4, 4, 255};
    for (int k = 0; k < 5; ++k) {
        CHECK(images[k].id == dir / "t-images-idx3-ubyte" + "#" + std::to_string(k));
        CHECK(images[k].label == labels[k]);
        CHECK(images[k].pixels == written[k].pixels);
    }
    CHECK(load_images(dir / "t-images-idx3-ubyte", {1, 3, 2}, 2).size() == 2);

    // "file#k" is image k alone.
    const auto third = load_images(dir / "t-images-idx3-ubyte#2", {1, 3, 2});
    REQUIRE(third.size() == 1);
    CHECK(third[0].label == 4);
    CHECK(third[0].pixels == written[2].pixels);
    CHECK(contains(error_of([&] { load_images(dir / "t-images-idx3-ubyte#5", {1, 3, 2}); }),
                   "holds 5"));

    // The header is the documented one: magic 00 00 08 03, big-endian dims.
    const auto raw = cnn::read_idx(dir / "t-images-idx3-ubyte");
    CHECK(raw.dims == std::vector<uint32_t>{5, 3, 2});
    const auto bytes = read_bytes(dir / "t-images-idx3-ubyte");
    CHECK(std::vector<uint8_t>(bytes.begin(), bytes.begin() + 8) ==
          std::vector<uint8_t>{0, 0, 8, 3, 0, 0, 0, 5});
}

TEST_CASE("IDX without a labels file gives label -1; a labels file of the wrong length is an error") {
    TempDir dir;
    cnn::write_idx(dir / "u-images-idx3-ubyte", {2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
    const auto images = load_images(dir / "u-images-idx3-ubyte", {1, 2, 2});
    REQUIRE(images.size() == 2);
    CHECK(images[0].label == -1);
    CHECK(images[1].pixels == std::vector<uint8_t>{5, 6, 7, 8});

    cnn::write_idx_labels(dir / "u-labels-idx1-ubyte", {1, 2, 3});
    const std::string msg = error_of([&] { load_images(dir / "u-images-idx3-ubyte", {1, 2, 2}); });
    CHECK(contains(msg, "u-labels-idx1-ubyte"));
    CHECK(contains(msg, "one label per image"));
}

TEST_CASE("IDX colour images [N,H,W,C] read as HWC, and resize on request") {
    TempDir dir;
    // Image 0 has pixels chosen so that their average has no rounding tie;
    // image 1 counts up.
    std::vector<uint8_t> data = {10, 20, 30, 14, 22, 30, 10, 20, 30, 14, 22, 31};
    for (int i = 0; i < 12; ++i)
        data.push_back(uint8_t(100 + i));
    cnn::write_idx(dir / "rgb.idx", {2, 2, 2, 3}, data);
    const auto images = load_images(dir / "rgb.idx", {3, 2, 2});
    REQUIRE(images.size() == 2);
    CHECK(images[1].pixels == std::vector<uint8_t>(data.begin() + 12, data.end()));
    CHECK(contains(error_of([&] { load_images(dir / "rgb.idx", {3, 1, 1}); }), "2x2x3"));
    ImageSpec spec{3, 1, 1};
    spec.resize = true;
    const auto one = load_images(dir / "rgb.idx", spec);
    // Area average of the four pixels of image 0, per channel: 12, 21, 30.25.
    CHECK(one[0].pixels == std::vector<uint8_t>{12, 21, 30});
}

TEST_CASE("broken IDX files are refused with the reason") {
    TempDir dir;
    cnn::write_idx(dir / "ok-images-idx3-ubyte", {2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
    auto bytes = read_bytes(dir / "ok-images-idx3-ubyte");

    auto bad = bytes;
    bad[0] = 0x12;
    write_bytes(dir / "magic.idx", bad);
    CHECK(contains(error_of([&] { load_images(dir / "magic.idx", {1, 2, 2}); }), "magic"));

    bad = bytes;
    bad[2] = 0x0D;  // float
    write_bytes(dir / "float.idx", bad);
    CHECK(contains(error_of([&] { load_images(dir / "float.idx", {1, 2, 2}); }), "element type 0xd"));

    write_bytes(dir / "short.idx", std::vector<uint8_t>(bytes.begin(), bytes.end() - 1));
    const std::string truncated = error_of([&] { load_images(dir / "short.idx", {1, 2, 2}); });
    CHECK(contains(truncated, "truncated"));
    CHECK(contains(truncated, "24 bytes"));
    CHECK(contains(truncated, "has 23"));

    write_bytes(dir / "header.idx", std::vector<uint8_t>(bytes.begin(), bytes.begin() + 9));
    CHECK(contains(error_of([&] { load_images(dir / "header.idx", {1, 2, 2}); }), "truncated IDX header"));

    bad = bytes;
    bad.push_back(0);
    write_bytes(dir / "long.idx", bad);
    CHECK(contains(error_of([&] { load_images(dir / "long.idx", {1, 2, 2}); }), "oversized"));

    write_bytes(dir / "zipped.idx.gz", {0x1f, 0x8b, 8, 0});
    CHECK(contains(error_of([&] { load_images(dir / "zipped.idx.gz", {1, 2, 2}); }), "gunzip"));

    cnn::write_idx(dir / "labels-only", {4}, {1, 2, 3, 4});
    CHECK(contains(error_of([&] { load_images(dir / "labels-only", {1, 2, 2}); }), "[N,H,W]"));
}

TEST_CASE("missing paths, empty folders and corrupt image files are errors") {
    TempDir dir;
    CHECK(contains(error_of([&] { load_images(dir / "nothing.png", {1, 2, 2}); }), "no such file"));

    fs::create_directories(dir.path / "empty");
    write_bytes(dir / "empty/readme.txt", {'x'});
    const std::string empty = error_of([&] { load_images(dir / "empty", {1, 2, 2}); });
    CHECK(contains(empty, "no image files"));
    CHECK(contains(empty, dir / "empty"));

    write_bytes(dir / "corrupt.png", {0x89, 'P', 'N', 'G', 1, 2, 3});
    CHECK(contains(error_of([&] { load_images(dir / "corrupt.png", {1, 2, 2}); }), "cannot decode"));

    write_bytes(dir / "zero.png", {});
    CHECK(contains(error_of([&] { load_images(dir / "zero.png", {1, 2, 2}); }), "empty"));

    cv::Mat deep(2, 2, CV_16UC1, cv::Scalar(1000));
    REQUIRE(cv::imwrite(dir / "deep.png", deep));
    CHECK(contains(error_of([&] { load_images(dir / "deep.png", {1, 2, 2}); }), "8-bit"));
}

TEST_CASE("a folder's bad images are skipped through on_bad, the good ones kept in order, limit counting good ones") {
    TempDir dir;
    for (int i = 0; i < 3; ++i) REQUIRE(cv::imwrite(dir / ("g" + std::to_string(i) + ".png"), grey_pattern(2, 2, i)));
    write_bytes(dir / "a_corrupt.png", {0x89, 'P', 'N', 'G', 1, 2, 3});
    REQUIRE(cv::imwrite(dir / "b_wrong_size.png", grey_pattern(3, 3)));

    // Without on_bad the first bad one throws, as before.
    CHECK(contains(error_of([&] { load_images(dir.path.string(), {1, 2, 2}); }), "a_corrupt.png"));

    std::vector<std::string> bad;
    auto collect = [&](const cnn::Error& e) { bad.push_back(e.what()); };
    auto images = load_images(dir.path.string(), {1, 2, 2}, 0, collect);
    REQUIRE(images.size() == 3);
    for (int i = 0; i < 3; ++i) {
        CHECK(images[size_t(i)].id == dir / ("g" + std::to_string(i) + ".png"));
        CHECK(images[size_t(i)].pixels == bytes_of(grey_pattern(2, 2, i)));
    }
    REQUIRE(bad.size() == 2);
    CHECK(contains(bad[0], "a_corrupt.png"));
    CHECK(contains(bad[1], "b_wrong_size.png"));

    bad.clear();
    images = load_images(dir.path.string(), {1, 2, 2}, 2, collect);  // two good ones, past the bad ones
    CHECK(images.size() == 2);
    CHECK(bad.size() == 2);

    TempDir all_bad;
    write_bytes(all_bad / "x.png", {1, 2, 3});
    bad.clear();
    CHECK(contains(error_of([&] { load_images(all_bad.path.string(), {1, 2, 2}, 0, collect); }),
                   "none of the 1 image files"));
    CHECK(bad.size() == 1);
}

TEST_CASE("symbolic link loops and second links in a folder are reported, never followed twice") {
    TempDir dir;
    fs::create_directories(dir.path / "sub");
    REQUIRE(cv::imwrite(dir / "sub/a.png", grey_pattern(2, 2)));
    fs::create_directory_symlink("..", dir.path / "sub" / "loop");     // sub/loop -> the folder
    fs::create_directory_symlink("sub", dir.path / "again");           // a second link to sub
    fs::create_symlink("self.png", dir.path / "self.png");              // a link to itself

    const std::string strict = error_of([&] { load_images(dir.path.string(), {1, 2, 2}); });
    CHECK(!strict.empty());

    std::vector<std::string> bad;
    auto images = load_images(dir.path.string(), {1, 2, 2}, 0, [&](const cnn::Error& e) { bad.push_back(e.what()); });
    CHECK(images.size() == 1);  // sub/a.png, once
    REQUIRE(bad.size() == 3);
    int loops = 0, unreadable = 0;
    for (const auto& b : bad) {
        loops += contains(b, "symbolic link loop");
        unreadable += contains(b, "self.png");
    }
    CHECK(loops == 2);
    CHECK(unreadable == 1);

    // The folder asked for itself unreadable: always an error.
    CHECK(contains(error_of([&] { load_images((dir.path / "sub" / "loop" / "nope").string(), {1, 2, 2}); }),
                   "no such file"));
}

TEST_CASE("write helpers refuse inconsistent input") {
    TempDir dir;
    CHECK(contains(error_of([&] { cnn::write_idx(dir / "x", {2, 2}, {1, 2, 3}); }), "data has 3"));
    CHECK(contains(error_of([&] { cnn::write_idx_labels(dir / "x", {1, 300}); }), "300"));
    Image a, b;
    a.c = b.c = 1;
    a.h = a.w = 2;
    b.h = b.w = 3;
    a.pixels.assign(4, 0);
    b.pixels.assign(9, 0);
    CHECK(contains(error_of([&] { cnn::write_idx_images(dir / "x", {a, b}); }), "3x3x1"));
}
