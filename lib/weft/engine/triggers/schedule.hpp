#pragma once
// The schedule trigger (SPEC §3 "schedule"): `every:` entries on monotonic
// loop timers; cron entries on one wall-clock timer set to the soonest next
// fire, which the kernel also fires when the clock is set. Each cron entry's
// last fire is kept in the database, so fires missed while the engine was
// down are caught up at start as the workflow's `catchup` says.
#include <uv.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "weft/cron/cron.hpp"
#include "weft/engine/dispatch.hpp"
#include "weft/engine/triggers/trigger.hpp"
#include "weft/events/uv_handle.hpp"
#include "weft/events/wall_timer.hpp"

namespace weft::engine {

class ScheduleTrigger final : public Trigger {
  public:
    ScheduleTrigger(Dispatch& dispatch, uv_loop_t* loop);
    Result<void> arm() override;
    void disarm() override;
    // `workflow`'s next fires, soonest first, as many as it has schedule
    // entries (`weft status`): next_schedule_fires with its `every:` timers'
    // due times. Empty when it is not armed.
    std::vector<TimePoint> next_fires(const std::string& workflow) const;

  private:
    struct Cron {
        std::string key;  // the entry's text and time zone, as stored
        cron::Schedule sched;
        const date::time_zone* zone = nullptr;
        TimePoint last{};
        std::optional<TimePoint> next;
    };
    struct Every {
        ScheduleTrigger* self = nullptr;
        std::string workflow;
        Duration every{};
        events::UvHandle<uv_timer_t> timer;
    };
    void arm_wall();
    void on_wall(bool clock_changed);
    void fire_cron(const std::string& workflow, Cron& c, TimePoint upto, Duration on_time);
    void fire_every(const Every& e);

    Dispatch& m_dispatch;
    uv_loop_t* m_loop;
    std::map<std::string, std::vector<Cron>> m_crons;  // by workflow
    std::vector<std::unique_ptr<Every>> m_every;
    std::unique_ptr<events::WallTimer> m_wall;
};

// What a cron entry does when the clock reads `now` and its last fire was
// `last`: its fires in (last, now], those at most `on_time` old on time and
// the older ones (missed while the engine was down, or skipped by a clock
// jump) as `catchup` says, oldest first, late ones marked; the newest fire
// handled (the new `last`); and the next fire after both `now` and `last`.
struct CronPlan {
    std::vector<std::pair<TimePoint, bool>> fires;  // instant, late
    std::optional<TimePoint> last;
    std::optional<TimePoint> next;
};
CronPlan plan_cron(const cron::Schedule& sched, const date::time_zone* zone, model::Catchup catchup,
                   TimePoint last, TimePoint now, Duration on_time);

// When an armed `every:` entry fires next (its timer), or nothing when it is not armed.
using EveryDue = std::function<std::optional<TimePoint>(const model::ScheduleEntry&)>;

// The next `count` fires of a workflow's schedule after `after`, its cron
// and `every:` entries merged, soonest first: the one rule of `weft list`
// and `weft status`. An `every:` entry fires first at `every_due`'s time, or
// (not armed) one interval after `after`, then every interval.
std::vector<TimePoint> next_schedule_fires(const model::Workflow& wf, TimePoint after,
                                           std::size_t count, const EveryDue& every_due = {});

}  // namespace weft::engine
