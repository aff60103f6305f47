// The floor for `weft validate`: yaml-cpp alone loading a file (and touching
// every node, so nothing is left lazy). Usage: bench_yaml_load FILE
#include <yaml-cpp/yaml.h>

#include <cstdio>

static std::size_t walk(const YAML::Node& n) {
    std::size_t count = 1;
    if (n.IsMap())
        for (auto it = n.begin(); it != n.end(); ++it) count += walk(it->first) + walk(it->second);
    else if (n.IsSequence())
        for (const auto& c : n) count += walk(c);
    return count;
}

int main(int argc, char** argv) {
    if (argc != 2) return 2;
    try {
        const YAML::Node root = YAML::LoadFile(argv[1]);
        std::printf("%zu nodes\n", walk(root));
    } catch (const YAML::Exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
    return 0;
}
