#include <doctest/doctest.h>

#include "weft/report/terminal.hpp"

using namespace weft::report;

namespace {
const std::string k_fffd = "\xEF\xBF\xBD";
}

TEST_CASE("report::valid_utf8") {
    CHECK(valid_utf8("plain ascii") == "plain ascii");
    CHECK(valid_utf8("caf\xC3\xA9 \xE2\x9C\x93") == "caf\xC3\xA9 \xE2\x9C\x93");
    CHECK(valid_utf8("\xFF\xFE") == k_fffd + k_fffd);
    CHECK(valid_utf8("ok\xE2\x82") == "ok" + k_fffd + k_fffd);      // cut short at the end
    CHECK(valid_utf8("\xC0\xAF") == k_fffd + k_fffd);               // overlong '/'
    CHECK(valid_utf8("\xED\xA0\x80") == k_fffd + k_fffd + k_fffd);  // a surrogate
    CHECK(valid_utf8(std::string("a\0b", 3)) == std::string("a\0b", 3));
}

TEST_CASE("report::is_valid_utf8") {
    CHECK(is_valid_utf8(""));
    CHECK(is_valid_utf8("caf\xC3\xA9"));
    CHECK_FALSE(is_valid_utf8("caf\xC3"));
    CHECK_FALSE(is_valid_utf8("\xFF"));
}

TEST_CASE("report::terminal_safe") {
    CHECK(terminal_safe("\033[1;31merror:\033[0m bad") == "error: bad");
    CHECK(terminal_safe("10%\r20%\r30%") == "30%");
    CHECK(terminal_safe("windows line\r") == "windows line");
    CHECK(terminal_safe("bell\a") == "bell" + k_fffd);
    CHECK(terminal_safe("tab\there") == "tab\there");
    CHECK(terminal_safe("\xFF") == k_fffd);
    CHECK(terminal_safe("\xC2\x9B"
                        "2J") == k_fffd + "2J");  // C1 CSI
}

TEST_CASE("report::display_width and truncate_to_width") {
    const Style ascii{false, false}, unicode{false, true};
    CHECK(display_width("compile") == 7);
    CHECK(display_width("\xE2\x9C\x93 ok") == 4);           // ✓ ok
    CHECK(display_width("\xE6\xB5\x8B\xE8\xAF\x95") == 4);  // 测试: two wide characters
    CHECK(display_width("e\xCC\x81") == 1);                 // e + combining acute
    CHECK(truncate_to_width("short", 10, ascii) == "short");
    CHECK(truncate_to_width("exactly10!", 10, ascii) == "exactly10!");
    CHECK(truncate_to_width("a bit too long", 10, ascii) == "a bit t...");
    CHECK(truncate_to_width("a bit too long", 10, unicode) == "a bit too\xE2\x80\xA6");
    // A wide character that would straddle the edge is left out whole.
    CHECK(truncate_to_width("ab\xE6\xB5\x8B\xE8\xAF\x95", 4, unicode) == "ab\xE2\x80\xA6");
    CHECK(display_width(truncate_to_width("\xE6\xB5\x8B\xE8\xAF\x95\xE6\xB5\x8B\xE8\xAF\x95", 5,
                                          unicode)) <= 5);
}

TEST_CASE("report::paint") {
    CHECK(paint("failure", Tone::bad, Style{false, false}) == "failure");
    CHECK(paint("failure", Tone::bad, Style{true, false}) == "\033[1;31mfailure\033[0m");
    CHECK(paint("x", Tone::plain, Style{true, false}) == "x");
    CHECK(tone_of(weft::model::StepState::success) == Tone::good);
    CHECK(tone_of(weft::model::RunState::failure) == Tone::bad);
}
