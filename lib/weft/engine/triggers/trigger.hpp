#pragma once
// One kind of `weft up` trigger (SPEC §3): file, schedule, stdin, workflow,
// manual. Every kind has the same shape: `arm` sets up what it listens to
// for the workflows now armed (Dispatch::workflows()) on the engine's loop;
// it receives (an inotify batch, a timer, a stdin record, a run's end, a
// control request), makes a model::Event of it, and hands that to
// Dispatch::fire, which records, announces and offers it. `disarm` drops
// every watch, timer and pending change, before a reload arms again.
#include "weft/util/result.hpp"

namespace weft::engine {

class Trigger {
  public:
    virtual ~Trigger() = default;
    // Errc::io when the kind's source cannot be set up (the inotify watch
    // limit); Errc::invalid when the workflows cannot share it.
    virtual Result<void> arm() = 0;
    virtual void disarm() = 0;
};

}  // namespace weft::engine
