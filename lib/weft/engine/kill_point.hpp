#pragma once
// Crash tests (WEFT_TEST_HOOKS builds only; lib/CMakeLists.txt defines it
// for kill_point.cpp alone): WEFT_TEST_KILL_AT=NAME[:N] kills this process
// with SIGKILL the Nth time (default 1st) it passes NAME:
// attempt-recorded (an attempt row written, before the spawn), step-ended (a
// step's end written, before its commit), log-batch (half a batch of log
// lines written), job-submitted (sbatch gave a Slurm job's id, not yet written).

namespace weft::engine {

void kill_point(const char* name);

// True in a WEFT_TEST_HOOKS build (log lines are then written in two
// halves, with the log-batch kill point between them).
bool test_hooks();

// True when WEFT_TEST_NO_CGROUP is set in a WEFT_TEST_HOOKS build: the local
// executor then runs steps without cgroups, as where it cannot make them.
bool cgroups_disabled_for_tests();

}  // namespace weft::engine
