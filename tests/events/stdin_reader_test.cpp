// The stdin reader's bound (SPEC §9.4): a record past max-record is cut at a
// character boundary and marked truncated; the rest of it (to its newline, or
// in json to the end of the value) is dropped; the records after it are whole.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>
#include <uv.h>

#include <string>
#include <vector>

#include "weft/events/stdin_reader.hpp"

namespace {

struct Got {
    std::string text, error;
    bool truncated;
};

// Feed `input` through a pipe to a reader of `format` bounded at `max`.
std::vector<Got> read_all(const std::string& input, weft::model::StdinFormat format,
                          std::size_t max) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    uv_loop_t loop;
    uv_loop_init(&loop);
    std::vector<Got> got;
    std::size_t written = 0;
    bool ended = false;
    {
        weft::events::StdinReader reader(
            &loop, fds[0], format,
            [&](std::string text, std::string error, bool truncated) {
                got.push_back({std::move(text), std::move(error), truncated});
            },
            [&] { ended = true; }, max);
        // Written in pieces while the loop reads, as a pipe delivers it.
        while (written < input.size()) {
            const auto n = ::write(fds[1], input.data() + written,
                                   std::min<std::size_t>(input.size() - written, 4096));
            REQUIRE(n > 0);
            written += static_cast<std::size_t>(n);
            uv_run(&loop, UV_RUN_NOWAIT);
        }
        ::close(fds[1]);
        while (!ended) uv_run(&loop, UV_RUN_ONCE);
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    ::close(fds[0]);
    return got;
}

}  // namespace

TEST_CASE("stdin reader: a line past max-record is cut, the rest dropped to its newline") {
    const std::string big(100'000, 'x');
    auto got = read_all("short\n" + big + "\nafter\n", weft::model::StdinFormat::lines, 1000);
    REQUIRE(got.size() == 3);
    CHECK(got[0].text == "short");
    CHECK_FALSE(got[0].truncated);
    CHECK(got[1].text == std::string(1000, 'x'));
    CHECK(got[1].truncated);
    CHECK(got[2].text == "after");
    CHECK_FALSE(got[2].truncated);
}

TEST_CASE("stdin reader: the cut never splits a UTF-8 character") {
    // "é" is two bytes, at offsets 9 and 10: a cut at 10 falls before it.
    auto got = read_all("aaaaaaaaa\xc3\xa9zzzz\n", weft::model::StdinFormat::lines, 10);
    REQUIRE(got.size() == 1);
    CHECK(got[0].text == "aaaaaaaaa");
    CHECK(got[0].truncated);
}

TEST_CASE("stdin reader: a JSON value past max-record is cut and not parsed") {
    const std::string big = "{\"k\": \"" + std::string(5000, 'y') + "\"}";
    auto got = read_all(big + "\n{\"k\": 1}\n", weft::model::StdinFormat::json, 1024);
    REQUIRE(got.size() == 2);
    CHECK(got[0].text.size() == 1024);
    CHECK(got[0].truncated);
    CHECK(got[0].error.empty());
    CHECK(got[1].text == "{\"k\": 1}");
    CHECK_FALSE(got[1].truncated);
}

TEST_CASE("stdin reader: a cut pretty-printed JSON value is dropped to its end, not its newline") {
    // The rest of the value spans lines, reads (4096-byte writes) and holds
    // brackets and escaped quotes inside strings: none of it is a record.
    const std::string value =
        "{\n  \"k\": \"" + std::string(200, 'y') +
        "\",\n  \"n\": 5,\n  \"s\": \"}] \\\" {\",\n  \"a\": [\n    {\"b\": \"" +
        std::string(10'000, 'z') + "\"},\n    7\n  ]\n}";
    auto got = read_all(value + "\n{\"k\": 1}\n", weft::model::StdinFormat::json, 64);
    REQUIRE(got.size() == 2);
    CHECK(got[0].text == value.substr(0, 64));
    CHECK(got[0].truncated);
    CHECK(got[0].error.empty());
    CHECK(got[1].text == "{\"k\": 1}");
    CHECK(got[1].error.empty());
    CHECK_FALSE(got[1].truncated);
}

TEST_CASE("stdin reader: a cut top-level JSON scalar is dropped to its end") {
    // A string with newlines escaped and not, then a long number; the record
    // after each starts on the same line.
    const std::string str = "\"" + std::string(5000, 'a') + "\\\"\n 9 \\\\\"";
    const std::string num(5000, '1');
    auto got = read_all(str + " 2 " + num + "\t[3]", weft::model::StdinFormat::json, 64);
    REQUIRE(got.size() == 4);
    CHECK(got[0].truncated);
    CHECK(got[1].text == "2");
    CHECK(got[2].text == std::string(64, '1'));
    CHECK(got[2].truncated);
    CHECK(got[3].text == "[3]");
    CHECK(got[3].error.empty());
}

TEST_CASE("stdin reader: /dev/null is not read, and never ends") {
    const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    REQUIRE(null_fd >= 0);
    CHECK(weft::events::is_null_input(null_fd));
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    CHECK_FALSE(weft::events::is_null_input(fds[0]));
    ::close(fds[0]);
    ::close(fds[1]);
    uv_loop_t loop;
    uv_loop_init(&loop);
    bool ended = false;
    int records = 0;
    {
        weft::events::StdinReader reader(
            &loop, null_fd, weft::model::StdinFormat::lines,
            [&](std::string, std::string, bool) { ++records; }, [&] { ended = true; });
        // Nothing is armed for it: the loop has nothing to wait for.
        CHECK(uv_run(&loop, UV_RUN_NOWAIT) == 0);
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    ::close(null_fd);
    CHECK_FALSE(ended);
    CHECK(records == 0);
}

TEST_CASE("stdin reader: JsonScan ends a value byte by byte, as weft emit reads a pipe") {
    using weft::events::JsonScan;
    auto end_at = [](const std::string& s) {
        JsonScan scan;
        for (std::size_t i = 0; i < s.size(); ++i)
            if (scan.advance(std::string(1, s[i]), 0) != std::string::npos) return i;
        return std::string::npos;
    };
    CHECK(end_at("  {\"a\": \"}\\\"\"}\n{") == 13);
    CHECK(end_at("[1, [2]] x") == 7);
    CHECK(end_at("123 ") == 3);
    CHECK(end_at("\"s\"") == 2);
    CHECK(end_at("{\"open\": 1") == std::string::npos);
}

TEST_CASE("stdin reader: cut_record and json_record_error") {
    std::string s = "ab\xC3\xA9z";  // 'é' is two bytes at 2..3
    CHECK(weft::events::cut_record(s, 3));
    CHECK(s == "ab");
    std::string short_one = "abc";
    CHECK_FALSE(weft::events::cut_record(short_one, 3));
    CHECK(weft::events::json_record_error("{\"a\": 1}").empty());
    CHECK(weft::events::json_record_error("{\"a\": ") == "not valid JSON");
    CHECK(weft::events::json_record_error(std::string(300, '[')) ==
          "JSON nested deeper than 256 levels");
}
