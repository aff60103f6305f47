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

TEST_CASE("report::terminal_safe neutralises escape sequences") {
    SUBCASE("a window title (OSC, ended by BEL or by ST) is dropped whole") {
        CHECK(terminal_safe("A\033]0;PWNED\aB") == "AB");
        CHECK(terminal_safe("A\033]2;PWNED\033\\B") == "AB");
        CHECK(terminal_safe("A\033]8;;http://x\033\\link\033]8;;\033\\B") == "AlinkB");
    }
    SUBCASE("other strings: DCS, APC, PM, SOS") {
        CHECK(terminal_safe("A\033P+q544e\033\\B") == "AB");
        CHECK(terminal_safe("A\033_payload\033\\B") == "AB");
        CHECK(terminal_safe("A\033^pm\aB") == "AB");
        CHECK(terminal_safe("A\033Xsos\033\\B") == "AB");
    }
    SUBCASE("an unterminated string: the ESC shown, the rest as text") {
        CHECK(terminal_safe("A\033]0;title") == "A" + k_fffd + "]0;title");
    }
    SUBCASE("clear screen, cursor moves, private modes are dropped") {
        CHECK(terminal_safe("A\033[2JB\033[HC") == "ABC");
        CHECK(terminal_safe("A\033[?1049hB") == "AB");
        CHECK(terminal_safe("A\033[5;10HB", Colors::keep) == "AB");
    }
    SUBCASE("two-character sequences: reset, charset, screen alignment") {
        CHECK(terminal_safe("A\033cB") == "AB");
        CHECK(terminal_safe("A\033(0B") == "AB");
        CHECK(terminal_safe("A\033#8B") == "AB");
        CHECK(terminal_safe("A\0337B\0338") == "AB");
    }
    SUBCASE("a lone ESC, BEL and other controls are shown as U+FFFD") {
        CHECK(terminal_safe("A\033") == "A" + k_fffd);
        CHECK(terminal_safe("A\033\x01"
                            "B") == "A" + k_fffd + k_fffd + "B");
        CHECK(terminal_safe("A\bB") == "A" + k_fffd + "B");
        CHECK(terminal_safe("\x9B"
                            "2J") == k_fffd + "2J");  // an 8-bit CSI is not UTF-8
    }
    SUBCASE("colours: dropped by default, kept on request with a reset at the end") {
        CHECK(terminal_safe("\033[31mred\033[0m") == "red");
        CHECK(terminal_safe("\033[31mred\033[0m", Colors::keep) == "\033[31mred\033[0m\033[0m");
        CHECK(terminal_safe("\033[1;38;5;196mbold", Colors::keep) == "\033[1;38;5;196mbold\033[0m");
        CHECK(terminal_safe("\033[38:2:1:2:3mx", Colors::keep) == "\033[38:2:1:2:3mx\033[0m");
        CHECK(terminal_safe("no colour", Colors::keep) == "no colour");
        // Not SGR: a private parameter, an intermediate byte.
        CHECK(terminal_safe("\033[>4;2mx", Colors::keep) == "x");
        CHECK(terminal_safe("\033[1 mx", Colors::keep) == "x");
    }
    SUBCASE("invalid UTF-8 is replaced, valid text kept") {
        CHECK(terminal_safe("G\xFF\xFEH") == "G" + k_fffd + k_fffd + "H");
        CHECK(terminal_safe("caf\xC3\xA9 \xE2\x9C\x93") == "caf\xC3\xA9 \xE2\x9C\x93");
    }
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
