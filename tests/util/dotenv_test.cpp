#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "support/temp_dir.hpp"
#include "weft/util/dotenv.hpp"

using namespace weft;

namespace {

// The pairs of `text` as "K=V" lines joined by `|`, or the error message.
std::string parsed(std::string_view text) {
    auto r = parse_dotenv(text, "f.env");
    if (!r) return r.error().message;
    std::string out;
    for (const auto& [k, v] : *r) out += (out.empty() ? "" : "|") + k + "=" + v;
    return out;
}

}  // namespace

TEST_CASE("util::parse_dotenv: the format of SPEC 9.1") {
    struct Case {
        const char* text;
        const char* want;
    };
    const Case cases[] = {
        {"A=1\nB=two words\n", "A=1|B=two words"},
        {"", ""},
        {"\n  \n# comment\n   # indented comment\nA=1", "A=1"},
        {"export A=1\nexport\tB=2\n", "A=1|B=2"},
        {"export=1\n", "export=1"},
        {"A='a \"b\" \\n $HOME'\n", "A=a \"b\" \\n $HOME"},
        {"A=\"x\\ny\"\n", "A=x\ny"},
        {"A=\"say \\\"hi\\\" \\\\ \\t $X\"\n", "A=say \"hi\" \\ \\t $X"},
        {"A=pa#ss\nB=#x\n", "A=pa#ss|B=#x"},
        {"A=b=c==\n", "A=b=c=="},
        {"A=1\r\nB='q'\r\n", "A=1|B=q"},
        {"A=\n", "A="},
        {"A=trailing  \n", "A=trailing  "},
        {"A='q'  \n", "A=q"},
        {"A=it's\n", "A=it's"},
        {"A=1\nB=2\nA=3\n", "A=3|B=2"},
        {"A=\"\"\nB=''\n", "A=|B="},
        {"A=\"é\\\"\"\n", "A=é\""},
        // errors
        {"A=1\nnot a line\n", "f.env:2:4: error: expected '=' after 'not' (write KEY=VALUE)"},
        {"A = 1\n", "f.env:1:2: error: blank before '=' (write KEY=VALUE)"},
        {"A= 1\n",
         "f.env:1:3: error: blank after '=' (write KEY=VALUE, quote a value that starts with a "
         "blank)"},
        {"A=\"open\nB=1\n",
         "f.env:1:3: error: unclosed double quote (quotes close on the same line)"},
        {"A='open\n", "f.env:1:3: error: unclosed single quote (quotes close on the same line)"},
        {"A=\"x\\\"\n", "f.env:1:3: error: unclosed double quote (quotes close on the same line)"},
        {"A='x' y\n", "f.env:1:7: error: unexpected text after the closing quote"},
        {"B='é' y\n", "f.env:1:7: error: unexpected text after the closing quote"},
        {"1A=x\n", "f.env:1:1: error: expected KEY=VALUE with KEY a variable name"},
        {"=x\n", "f.env:1:1: error: expected KEY=VALUE with KEY a variable name"},
        {"  export  \n", "f.env:1:9: error: expected '=' after 'export' (write KEY=VALUE)"},
        {"A-B=1\n", "f.env:1:2: error: expected '=' after 'A' (write KEY=VALUE)"},
        {"A=1\r\nB\r\n", "f.env:2:2: error: expected '=' after 'B' (write KEY=VALUE)"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.text);
        CHECK(parsed(c.text) == c.want);
    }
    auto r = parse_dotenv("A=1\nB='x\n", "f.env");
    REQUIRE(!r);
    CHECK(r.error().code == Errc::invalid);
    CHECK(r.error().offset == 6);
}

TEST_CASE("util::read_dotenv: a file") {
    test::TempDir t;
    const auto f = (t.path / "a.env").string();
    std::ofstream(f) << "export TOKEN=\"s3cr=t\"\n";
    auto r = read_dotenv(f);
    REQUIRE(r);
    CHECK(*r == DotenvPairs{{"TOKEN", "s3cr=t"}});

    auto missing = read_dotenv((t.path / "none.env").string());
    REQUIRE(!missing);
    CHECK(missing.error().code == Errc::not_found);
    CHECK(missing.error().message ==
          (t.path / "none.env").string() + ": error: No such file or directory");
    CHECK(read_dotenv(t.path.string()).error().message ==
          t.path.string() + ": error: Is a directory");
}
