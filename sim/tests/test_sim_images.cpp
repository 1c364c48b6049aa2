// A bad image in an --images folder, through the model's simulator (what
// `make sim IMAGES=dir` runs): reported in one line, skipped, every good image
// still simulated and scored, and the run exits 1. Runs the zoo model
// conv3_s1_p1_relu_mp2 (its simulator is built by the CTest fixture
// hw_build_conv3_s1_p1_relu_mp2, as test_faults.cpp's).
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <unistd.h>

#include "run_command.hpp"

namespace fs = std::filesystem;

TEST_CASE("the simulator skips a corrupt PNG, runs the good ones bit-exact and exits 1") {
    const fs::path dir = fs::temp_directory_path() / ("cnn_sim_images_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    for (int i = 0; i < 2; ++i) {
        cv::Mat img(16, 16, CV_8UC1);
        for (int y = 0; y < 16; ++y)
            for (int x = 0; x < 16; ++x) img.at<uint8_t>(y, x) = uint8_t(17 * i + 5 * y + 3 * x);
        REQUIRE(cv::imwrite((dir / ("img" + std::to_string(i) + ".png")).string(), img));
    }
    std::ofstream(dir / "broken.png", std::ios::binary) << "\x89PNG\r\n\x1a\n cut short";

    const std::string model = std::string(CNN_SOURCE_DIR) + "/models/zoo/conv3_s1_p1_relu_mp2.onnx";
    auto r = cnn::test::run_command(std::string(CNN_SOURCE_DIR) + "/sim/run.sh " + CNN_BINARY_DIR + " " + model +
                                        " --images " + dir.string() + " --quiet",
                                    "cnn_sim_images.txt");
    CAPTURE(r.out);
    CHECK(r.code == 1);
    CHECK(r.out.find("2 images, 0 mismatches") != std::string::npos);
    CHECK(r.out.find("sim: skipped: " + (dir / "broken.png").string()) != std::string::npos);
    CHECK(r.out.find("1 unreadable image(s) skipped") != std::string::npos);
    CHECK(r.out.find("internal error") == std::string::npos);

    fs::remove(dir / "broken.png");
    r = cnn::test::run_command(std::string(CNN_SOURCE_DIR) + "/sim/run.sh " + CNN_BINARY_DIR + " " + model +
                                   " --images " + dir.string() + " --quiet",
                               "cnn_sim_images.txt");
    CHECK(r.code == 0);
    fs::remove_all(dir);
}
