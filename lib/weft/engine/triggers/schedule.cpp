#include "weft/engine/triggers/schedule.hpp"

#include <algorithm>

#include "weft/engine/triggers/filter.hpp"
#include "weft/util/time.hpp"

namespace weft::engine {

namespace {

// A timer wake-up this late still fires on time; older fires were missed
// (a clock jump, a suspend) and `catchup` decides, as for those missed while
// the engine was down.
constexpr auto k_on_time = std::chrono::seconds(1);
// The most missed fires of one schedule handled at once (`catchup: all`).
constexpr std::size_t k_max_catchup = 1000;

}  // namespace

ScheduleTrigger::ScheduleTrigger(Dispatch& dispatch, uv_loop_t* loop)
    : m_dispatch(dispatch), m_loop(loop) {}

Result<void> ScheduleTrigger::arm() {
    const TimePoint t = now();
    auto& store = m_dispatch.store();
    for (auto& [n, a] : m_dispatch.workflows()) {
        if (a.removed) continue;
        for (const auto& e : a.w().on.schedule) {
            if (e.every) {
                auto ev = std::make_unique<Every>();
                ev->self = this;
                ev->workflow = n;
                ev->every = Duration(std::max<long long>(e.every->count(), 1));
                ev->timer = events::UvHandle<uv_timer_t>::make(uv_timer_init, m_loop, ev.get());
                const auto ms = static_cast<std::uint64_t>(ev->every.count());
                uv_timer_start(
                    ev->timer.get(),
                    [](uv_timer_t* h) {
                        const auto* every = static_cast<const Every*>(h->data);
                        every->self->fire_every(*every);
                    },
                    ms, ms);
                m_every.push_back(std::move(ev));
                continue;
            }
            Cron c;
            c.key = schedule_entry_key(e);
            auto s = cron::parse(*e.cron);
            auto z = cron::find_zone(e.timezone);
            if (!s || !z) continue;  // the loader checked both
            c.sched = *s;
            c.zone = *z;
            auto last = store.last_fire(n, c.key);
            if (!last) {
                m_dispatch.error(last.error().message);
                continue;
            }
            if (*last) {
                c.last = **last;
            } else {  // armed for the first time: nothing was missed
                c.last = t;
                m_dispatch.open_writes();
                if (auto r = store.set_last_fire(n, c.key, t); !r)
                    m_dispatch.write_failed("", r.error());
            }
            auto& crons = m_crons[n];
            crons.push_back(std::move(c));
            fire_cron(n, crons.back(), t, Duration(0));  // at start, every past fire was missed
        }
    }
    arm_wall();
    return {};
}

void ScheduleTrigger::disarm() {
    m_wall.reset();
    m_every.clear();
    m_crons.clear();
}

std::vector<TimePoint> ScheduleTrigger::next_fires(const std::string& workflow) const {
    const auto& wfs = m_dispatch.workflows();
    const auto it = wfs.find(workflow);
    const bool armed = m_crons.count(workflow) > 0 ||
                       std::any_of(m_every.begin(), m_every.end(),
                                   [&](const auto& e) { return e->workflow == workflow; });
    if (it == wfs.end() || !armed) return {};
    const TimePoint t = now();
    // An `every:` entry fires when its timer is due, counted from when it was armed.
    auto due = [&](const model::ScheduleEntry& s) -> std::optional<TimePoint> {
        for (const auto& e : m_every)
            if (e->workflow == workflow && s.every && e->every == *s.every)
                return t + Duration(static_cast<long long>(uv_timer_get_due_in(e->timer.get())));
        return std::nullopt;
    };
    return next_schedule_fires(it->second.w(), t, it->second.w().on.schedule.size(), due);
}

void ScheduleTrigger::fire_every(const Every& e) {
    const auto& wfs = m_dispatch.workflows();
    const auto it = wfs.find(e.workflow);
    if (m_dispatch.stopping() || it == wfs.end() || it->second.removed) return;
    m_dispatch.fire(model::Event::every_fire(e.every, now()), {e.workflow});
}

void ScheduleTrigger::fire_cron(const std::string& workflow, Cron& c, TimePoint upto,
                                Duration on_time) {
    const auto& wfs = m_dispatch.workflows();
    const auto it = wfs.find(workflow);
    if (it == wfs.end()) return;
    const CronPlan plan = plan_cron(c.sched, c.zone, it->second.w().catchup, c.last, upto, on_time);
    for (const auto& [f, late] : plan.fires)
        if (!m_dispatch.fire(model::Event::cron_fire(c.key, f, late), {workflow})) return;
    if (plan.last) {
        c.last = *plan.last;
        m_dispatch.open_writes();
        if (auto r = m_dispatch.store().set_last_fire(workflow, c.key, c.last); !r)
            m_dispatch.write_failed("", r.error());
    }
    c.next = plan.next;
}

void ScheduleTrigger::arm_wall() {
    std::optional<TimePoint> soonest;
    for (const auto& [n, crons] : m_crons)
        for (const auto& c : crons)
            if (c.next && (!soonest || *c.next < *soonest)) soonest = c.next;
    if (!soonest) {
        m_wall.reset();
        return;
    }
    if (!m_wall) {
        auto w = events::WallTimer::create(m_loop, [this](bool changed) { on_wall(changed); });
        if (!w) {
            m_dispatch.error(w.error().message);
            return;
        }
        m_wall = std::move(*w);
    }
    m_wall->arm(*soonest);
}

void ScheduleTrigger::on_wall(bool clock_changed) {
    if (m_dispatch.stopping()) return;
    const TimePoint t = now();
    if (clock_changed)
        m_dispatch.announce(
            {{"type", "clock"}, {"message", "the system clock changed; schedules recomputed"}});
    for (auto& [n, crons] : m_crons)
        for (auto& c : crons)
            if (clock_changed || (c.next && *c.next <= t)) fire_cron(n, c, t, k_on_time);
    arm_wall();
}

CronPlan plan_cron(const cron::Schedule& sched, const date::time_zone* zone, model::Catchup catchup,
                   TimePoint last, TimePoint now, Duration on_time) {
    using std::chrono::floor;
    using std::chrono::seconds;
    CronPlan plan;
    // The fires in (last, now], newest last, but only as many as catch-up can
    // use: the window looks back from `now` and doubles until it holds
    // enough or reaches `last`, so a year of downtime of a per-second cron
    // costs a few thousand steps, not 31 million.
    const std::size_t wanted = catchup == model::Catchup::all ? k_max_catchup : 1;
    std::vector<TimePoint> due;
    for (Duration back = std::chrono::minutes(1);; back *= 2) {
        const TimePoint from = std::max(last, now - back);
        due.clear();
        for (auto f = cron::next_fire(sched, zone, floor<seconds>(from)); f && TimePoint(*f) <= now;
             f = cron::next_fire(sched, zone, *f)) {
            due.push_back(*f);
            if (due.size() > 2 * k_max_catchup)
                due.erase(due.begin(), due.begin() + static_cast<long>(k_max_catchup));
        }
        std::size_t missed = 0;
        for (auto f : due) missed += now - f > on_time ? 1 : 0;
        if (from == last || missed >= wanted) break;
    }
    std::vector<TimePoint> on_time_fires, missed;
    for (auto f : due) (now - f <= on_time ? on_time_fires : missed).push_back(f);
    if (missed.size() > k_max_catchup)
        missed.erase(missed.begin(), missed.end() - static_cast<long>(k_max_catchup));
    switch (catchup) {
        case model::Catchup::none:
            break;
        case model::Catchup::latest:
            if (!missed.empty()) plan.fires.push_back({missed.back(), true});
            break;
        case model::Catchup::all:
            for (auto f : missed) plan.fires.push_back({f, true});
            break;
    }
    for (auto f : on_time_fires) plan.fires.push_back({f, false});
    if (!due.empty()) plan.last = due.back();
    // After a backward clock jump `last` is ahead of the clock: an instant
    // already fired never fires twice.
    const TimePoint from = std::max(now, plan.last.value_or(last));
    if (auto n = cron::next_fire(sched, zone, floor<seconds>(from))) plan.next = TimePoint(*n);
    return plan;
}

std::vector<TimePoint> next_schedule_fires(const model::Workflow& wf, TimePoint after,
                                           std::size_t count, const EveryDue& every_due) {
    std::vector<TimePoint> out;
    for (const auto& e : wf.on.schedule) {
        if (e.every) {
            std::optional<TimePoint> first = every_due ? every_due(e) : std::nullopt;
            TimePoint f = first.value_or(after + *e.every);
            for (std::size_t i = 0; i < count; ++i, f += *e.every) out.push_back(f);
            continue;
        }
        if (!e.cron) continue;
        auto s = cron::parse(*e.cron);
        auto z = cron::find_zone(e.timezone);
        if (!s || !z) continue;
        for (auto t :
             cron::next_fires(*s, *z, std::chrono::floor<std::chrono::seconds>(after), count))
            out.push_back(t);
    }
    std::sort(out.begin(), out.end());
    if (out.size() > count) out.resize(count);
    return out;
}

}  // namespace weft::engine
