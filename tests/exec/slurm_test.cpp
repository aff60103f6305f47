#include <doctest/doctest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "weft/exec/slurm.hpp"

namespace sl = weft::exec::slurm;
using weft::Duration;

namespace {

std::string slurp(const std::string& path) {
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

}  // namespace

TEST_CASE("exec::slurm helpers") {
    SUBCASE("time limits are minutes rounded up") {
        CHECK(sl::time_limit(Duration{1}) == "0-00:01:00");
        CHECK(sl::time_limit(Duration{60'000}) == "0-00:01:00");
        CHECK(sl::time_limit(Duration{61'000}) == "0-00:02:00");
        CHECK(sl::time_limit(std::chrono::hours{25} + std::chrono::minutes{3}) == "1-01:03:00");
    }
    SUBCASE("squeue lines") {
        auto q = sl::parse_queue(
            "12|weft-1-a-1-00000001|RUNNING|None\n"
            "13|a|b|c|CANCELLED by 0|None\n"
            "garbage\n"
            "14|x|NODE_FAIL|NodeDown\n");
        REQUIRE(q.size() == 3);
        CHECK(q[0].id == "12");
        CHECK(q[0].name == "weft-1-a-1-00000001");
        CHECK(q[0].state == "RUNNING");
        CHECK(q[1].name == "a|b|c");
        CHECK(q[1].state == "CANCELLED");
        CHECK(q[2].reason == "NodeDown");
    }
    SUBCASE("sacct lines") {
        auto e = sl::parse_accounting("12|weft-1-a-1-00000001|NODE_FAIL\n13|x|COMPLETED\n", "12");
        REQUIRE(e);
        CHECK(e->name == "weft-1-a-1-00000001");
        CHECK(e->state == "NODE_FAIL");
        CHECK(sl::parse_accounting("13|x|CANCELLED by 0\n", "13")->state == "CANCELLED");
        CHECK_FALSE(sl::parse_accounting("", "12"));
        CHECK_FALSE(sl::parse_accounting("120|x|FAILED\n", "12"));
    }
    SUBCASE("states and what ended a job") {
        CHECK(sl::is_active("PENDING"));
        CHECK(sl::is_active("RUNNING"));
        CHECK(sl::is_active("COMPLETING"));
        CHECK_FALSE(sl::is_active("COMPLETED"));
        CHECK_FALSE(sl::is_active("OUT_OF_MEMORY"));
        CHECK(sl::end_message("7", "NODE_FAIL", "NodeDown") ==
              "Slurm job 7: its node failed (NODE_FAIL, NodeDown)");
        CHECK(sl::end_message("7", "PREEMPTED", "None") ==
              "Slurm job 7: it was preempted (PREEMPTED)");
        CHECK(sl::end_message("7", "OUT_OF_MEMORY", "") ==
              "Slurm job 7: it ran out of memory (OUT_OF_MEMORY)");
        CHECK(sl::end_message("7", "TIMEOUT", "") ==
              "Slurm job 7: it reached its Slurm time limit (TIMEOUT)");
    }
    SUBCASE("job names identify state, run, step and attempt") {
        const auto n = sl::job_name("/state/a", 12, "test[os=linux]", 3);
        CHECK(n.rfind("weft-12-test_os_linux_-3-", 0) == 0);
        CHECK(n.size() == std::string("weft-12-test_os_linux_-3-").size() + 8);
        CHECK(sl::job_name("/state/a", 12, "x", 1) != sl::job_name("/state/b", 12, "x", 1));
    }
    SUBCASE("sbatch's command line and the job's files") {
        const auto dir = std::filesystem::temp_directory_path() /
                         ("weft-slurm-test-" + std::to_string(::getpid()));
        std::filesystem::remove_all(dir);
        sl::JobSpec spec;
        spec.name = "weft-1-a-1-00000000";
        spec.dir = dir.string();
        spec.cwd = "/work dir";
        spec.argv = {"bash", "--noprofile", "{script}"};
        spec.script = "echo hi\n";
        spec.env = {{"TOKEN", "it's secret"}, {"not a name", "x"}, {"WEFT_OUTPUT", "/elsewhere"}};
        spec.event_json = "{}";
        spec.options.partition = "gpu";
        spec.options.cpus = 4;
        spec.options.mem = "2G";
        spec.options.time = std::chrono::minutes{90};
        spec.options.extra_args = {"--qos=low"};
        const auto argv = sl::sbatch_argv(spec);
        const std::vector<std::string> want{"sbatch",
                                            "--parsable",
                                            "--job-name=weft-1-a-1-00000000",
                                            "--chdir=/work dir",
                                            "--output=" + spec.dir + "/stdout",
                                            "--error=" + spec.dir + "/stderr",
                                            "--export=ALL",
                                            "--no-requeue",
                                            "--partition=gpu",
                                            "--cpus-per-task=4",
                                            "--mem=2G",
                                            "--time=0-01:30:00",
                                            "--qos=low",
                                            spec.dir + "/job.sh"};
        CHECK(argv == want);
        for (const auto& a : argv) CHECK(a.find("secret") == std::string::npos);
        REQUIRE(sl::write_job(spec).ok());
        const std::string env = slurp(spec.dir + "/env");
        CHECK(env.find("export TOKEN='it'\\''s secret'\n") != std::string::npos);
        CHECK(env.find("not a name") == std::string::npos);
        CHECK(env.find("/elsewhere") == std::string::npos);
        CHECK(env.find("export WEFT_OUTPUT='" + spec.dir + "/outputs'") != std::string::npos);
        struct stat st {};
        REQUIRE(::stat((spec.dir + "/env").c_str(), &st) == 0);
        CHECK((st.st_mode & 0777) == 0600);
        CHECK(slurp(spec.dir + "/job.sh")
                  .find("'bash' '--noprofile' '" + spec.dir + "/step.sh' </dev/null") !=
              std::string::npos);
        CHECK_FALSE(sl::read_exit_code(spec.dir));
        std::ofstream(spec.dir + "/exit_code") << "3\n";
        CHECK(sl::read_exit_code(spec.dir) == 3);
        long long off = 0;
        std::string buf;
        std::ofstream(spec.dir + "/stdout") << "ab";
        sl::read_new(spec.dir + "/stdout", off, buf);
        std::ofstream(spec.dir + "/stdout", std::ios::app) << "cd\n";
        sl::read_new(spec.dir + "/stdout", off, buf);
        CHECK(buf == "abcd\n");
        CHECK(off == 5);
        std::filesystem::remove_all(dir);
    }
}
