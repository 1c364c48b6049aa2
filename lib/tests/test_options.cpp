// The one option parser (lib/options.hpp) of cnnc and the simulators.
#include "options.hpp"

#include <doctest/doctest.h>

TEST_CASE("options: the last occurrence of an option wins, in cnnc and the simulators alike") {
    const cnn::Options o{{"emit", "m.onnx", "--par", "auto", "--out", "a", "--par", "4"}};
    CHECK(o.get("--par") == "4");
    CHECK(o.get("--out") == "a");
    CHECK(o.get("--count", "16") == "16");
    CHECK(o.has("--par"));
    CHECK_FALSE(o.has("--qdq"));
}

TEST_CASE("options: a trailing option without its value falls back to the default") {
    const cnn::Options o{{"--count", "3", "--count"}};
    CHECK(o.get("--count", "9") == "3");
    CHECK(o.has("--count"));
}

TEST_CASE("options: numbers are checked, and the error names the option") {
    CHECK(cnn::to_u64("12", "--count") == 12);
    CHECK(cnn::to_int("-3", "--par") == -3);
    CHECK_THROWS_WITH_AS(cnn::to_u64("-1", "--count"), "--count: '-1' is not a whole number", cnn::Error);
    CHECK_THROWS_WITH_AS(cnn::to_u64("4x", "--seed"), "--seed: '4x' is not a whole number", cnn::Error);
    CHECK_THROWS_WITH_AS(cnn::to_int("", "--images"), "--images: '' is not a whole number", cnn::Error);
}
