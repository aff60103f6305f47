#include <doctest/doctest.h>

#include <string>

#include "weft/parse/source_scan.hpp"

using namespace weft;
using namespace weft::parse;

namespace {

// "LINE:COL: MESSAGE" of the encoding error in `text`, or "" if none.
std::string encoding_of(std::string_view text) {
    const auto d = encoding_error(text);
    if (!d) return "";
    return std::to_string(d->loc.line) + ":" + std::to_string(d->loc.column) + ": " + d->message;
}

}  // namespace

TEST_CASE("parse::encoding_error") {
    SUBCASE("valid UTF-8 passes, ASCII or not, at every alignment") {
        CHECK(encoding_of("") == "");
        CHECK(encoding_of("steps:\n  a: {run: echo}\n") == "");
        CHECK(encoding_of("name: caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xED\x9F\xBF "
                          "\xEE\x80\x80 \xF4\x8F\xBF\xBF\n") == "");
        for (std::size_t pad = 0; pad < 9; ++pad)
            CHECK(encoding_of(std::string(pad, 'x') + "\xC3\xA9" + std::string(pad, 'y')) == "");
    }
    SUBCASE("a NUL byte, found inside an eight-byte block and at the end") {
        CHECK(encoding_of(std::string("steps:\n  a: {run: echo}\n\0\x01", 26)) ==
              "3:1: a NUL byte: a workflow file is UTF-8 text (is this a binary file?)");
        CHECK(encoding_of(std::string("abcdefghij\0", 11)).rfind("1:11: a NUL byte", 0) == 0);
        CHECK(encoding_of(std::string("ab\0cdefghij", 11)).rfind("1:3: a NUL byte", 0) == 0);
    }
    SUBCASE("Latin-1: a lead byte whose sequence is cut short") {
        CHECK(encoding_of("name: caf\xE9\nsteps: {}\n") ==
              "1:10: invalid UTF-8: byte 0xE9 starts a 3-byte sequence that is cut short; save the "
              "file as UTF-8");
        CHECK(encoding_of("x: \xE2\x82")
                  .rfind("1:4: invalid UTF-8: byte 0xE2 starts a 3-byte sequence that is cut short",
                         0) == 0);
        CHECK(encoding_of("x: \xF0\x9F\x98 y")
                  .rfind("1:4: invalid UTF-8: byte 0xF0 starts a 4-byte sequence", 0) == 0);
    }
    SUBCASE("stray continuation bytes and bytes UTF-8 never uses") {
        CHECK(encoding_of("a\n\x80").rfind(
                  "2:1: invalid UTF-8: byte 0x80 is a continuation byte with no lead byte", 0) ==
              0);
        CHECK(encoding_of("\xC3\xA9\xA9")
                  .rfind("1:3: invalid UTF-8: byte 0xA9 is a continuation byte", 0) == 0);
        CHECK(encoding_of("a: \xFF").rfind("1:4: invalid UTF-8: byte 0xFF never occurs in UTF-8",
                                           0) == 0);
        CHECK(encoding_of("a: \xF5\x80\x80\x80")
                  .rfind("1:4: invalid UTF-8: byte 0xF5 never occurs in UTF-8", 0) == 0);
    }
    SUBCASE("overlong forms") {
        CHECK(encoding_of("a: \xC0\xAF")
                  .rfind("1:4: invalid UTF-8: byte 0xC0 starts an overlong encoding", 0) == 0);
        CHECK(encoding_of("a: \xC1\xBF")
                  .rfind("1:4: invalid UTF-8: byte 0xC1 starts an overlong encoding", 0) == 0);
        CHECK(encoding_of("a: \xE0\x80\xAF")
                  .rfind("1:4: invalid UTF-8: byte 0xE0 starts an overlong encoding", 0) == 0);
        CHECK(encoding_of("a: \xF0\x80\x80\xAF")
                  .rfind("1:4: invalid UTF-8: byte 0xF0 starts an overlong encoding", 0) == 0);
    }
    SUBCASE("surrogates and code points past U+10FFFF") {
        CHECK(encoding_of("a: \xED\xA0\x80")
                  .rfind("1:4: invalid UTF-8: byte 0xED starts a UTF-16 surrogate", 0) == 0);
        CHECK(encoding_of("a: \xED\xBF\xBF")
                  .rfind("1:4: invalid UTF-8: byte 0xED starts a UTF-16 surrogate", 0) == 0);
        CHECK(encoding_of("a: \xF4\x90\x80\x80")
                  .rfind("1:4: invalid UTF-8: byte 0xF4 starts a code point above U+10FFFF", 0) ==
              0);
    }
    SUBCASE("UTF-16 with a byte order mark") {
        CHECK(
            encoding_of(std::string("\xFF\xFEs\0t\0", 6)) ==
            "1:1: the file is UTF-16 (it starts with a UTF-16 byte order mark); save it as UTF-8");
        CHECK(encoding_of(std::string("\xFE\xFF\0s\0t", 6)).rfind("1:1: the file is UTF-16", 0) ==
              0);
    }
    SUBCASE("columns count bytes, as yaml-cpp's marks do") {
        CHECK(encoding_of("\xC3\xA9t\xC3\xA9: \xFF").rfind("1:8: ", 0) == 0);
    }
}

TEST_CASE("parse::quote_end") {
    CHECK(quote_end(R"(a: "x \"y\" \\" z)", 3) == 14u);
    CHECK(quote_end(R"(a: "x \")", 3) == std::nullopt);
    CHECK(quote_end("a: 'it''s' z", 3) == 9u);
    CHECK(quote_end("a: 'it''s", 3) == std::nullopt);
    CHECK(quote_end("a: \"x\n  y\" z", 3) == 9u);  // a quoted scalar may span lines
}

TEST_CASE("parse::open_quote_before") {
    auto open = [](std::string_view text, std::size_t from = 0, int flow = 0) {
        return open_quote_before(text, from, text.size(), flow);
    };
    SUBCASE("the quote that never closes") {
        CHECK(open("steps:\n  a:\n    run: \"echo hi") == 21u);
        CHECK(open("a: [1, 'x") == 7u);
        CHECK(open("a: {b: \"c\", d: \"e}") == 15u);
        CHECK(open("\"steps: 1\nsteps: {}\n") == 0u);
    }
    SUBCASE("or closes only after the point where parsing failed") {
        const std::string text = "a: \"x\n---\nb: \"y\"\n";
        CHECK(open_quote_before(text, 0, text.find("---"), 0) == 3u);
    }
    SUBCASE("closed quotes, quotes inside plain scalars, comments and block scalars are not it") {
        CHECK(open("a: \"x\"\nb: 'y'\nc: [\"z\", 'w']\n") == std::nullopt);
        CHECK(open("run: echo \"hi\nb: it's\n") == std::nullopt);
        CHECK(open("a: 1 # don't\nb: 2\n") == std::nullopt);
        CHECK(open("run: |\n  echo \"hi\n  it's\nb: x\n") == std::nullopt);
        CHECK(open("run: |\n  echo \"hi\nb: \"x") == 21u);
        CHECK(open("a: &anchor 'x\n") == 11u);
        CHECK(open("a: !tag \"x\n") == 8u);
    }
    SUBCASE("from the middle, with the flow collections open there") {
        const std::string text = "a: {b: [x, y], c: \"z}\n";
        CHECK(open(text, text.find('c'), 1) == 18u);
        CHECK(open("{a: x\"y, b: \"z}\n", 1, 1) == 12u);
    }
}

TEST_CASE("parse::indenting_tab") {
    CHECK(indenting_tab("steps:\n\ta:\n", 2) == 7u);
    CHECK(indenting_tab("steps:\n  \ta:\n", 2) == 9u);
    CHECK(indenting_tab("steps:\n  a:\t1\n", 2) == std::nullopt);  // after the key, a tab separates
    CHECK(indenting_tab("a: 1\n\t# comment\n", 2) == std::nullopt);
    CHECK(indenting_tab("a: 1\n\t\n", 2) == std::nullopt);
    CHECK(indenting_tab("a: 1\n", 5) == std::nullopt);
}
