#pragma once
// A FILE* that writes to memory, to check what a reporter prints.
#include <stdio.h>

#include <cstdlib>
#include <string>

namespace weft::test {

struct Capture {
    char* buf = nullptr;
    std::size_t size = 0;
    std::FILE* file = ::open_memstream(&buf, &size);
    Capture() = default;
    Capture(const Capture&) = delete;
    Capture& operator=(const Capture&) = delete;
    ~Capture() {
        std::fclose(file);
        std::free(buf);
    }
    // Everything printed so far.
    std::string text() {
        std::fflush(file);
        return std::string(buf, size);
    }
};

}  // namespace weft::test
