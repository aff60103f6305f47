#include "weft/engine/dispatch.hpp"

#include "weft/engine/resolve.hpp"
#include "weft/util/mask.hpp"
#include "weft/util/time.hpp"

namespace weft::engine {

using Json = nlohmann::json;
using model::RowId;

namespace {

constexpr const char* k_secrets_lost =
    "dropped from the queue: its secret params were kept only in the memory of the engine that "
    "queued it (trigger it again)";

}  // namespace

std::vector<std::pair<std::string, std::string>> param_pairs(const Json& params) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& [k, v] : params.items())
        out.emplace_back(k, v.is_string() ? v.get<std::string>()
                                          : v.dump(-1, ' ', false, Json::error_handler_t::replace));
    return out;
}

Json announcement(const model::Event& e, RowId id, const std::vector<std::string>& workflows) {
    Json j = {{"type", "event"}, {"id", id}, {"kind", model::to_string(e.kind)}};
    switch (e.kind) {
        case model::Event::Kind::file:
            j["paths"] = e.paths;
            break;
        case model::Event::Kind::schedule:
            if (e.every) {
                j["every"] = format_duration(*e.every);
            } else {
                j["cron"] = e.cron;
                j["time"] = format_rfc3339(e.time);
            }
            break;
        case model::Event::Kind::workflow:
            j["after"] = e.workflow;
            break;
        case model::Event::Kind::stdin_record:
            j["line"] = e.line;
            break;
        case model::Event::Kind::manual:
            break;
    }
    j["workflows"] = workflows;
    return j;
}

Dispatch::Dispatch(store::Store& store, Announce announce)
    : m_store(store), m_announce(std::move(announce)) {}

void Dispatch::announce(const Json& j) const {
    if (m_announce) m_announce(j);
}

void Dispatch::error(const std::string& msg) const {
    announce({{"type", "error"}, {"message", msg}});
}

void Dispatch::write_failed(const std::string& what, const Error& e) {
    if (e.code == Errc::state && m_engine)
        m_engine->fail_store(Error{e.code, what + e.message});
    else
        error(what + e.message);
}

bool Dispatch::open_writes() {
    if (m_store.in_transaction()) return true;
    auto b = m_store.begin();
    if (!b) write_failed("", b.error());
    return b.ok();
}

RowId Dispatch::record(const model::Event& e) {
    // Events are facts: in the database before anything acts on them. The
    // engine commits the open transaction before a run is created, and
    // otherwise within its commit window (2 ms) of the loop's iteration.
    if (!open_writes()) return 0;
    const std::string kind(model::to_string(e.kind));
    auto id = m_store.add_event(kind, to_json(e), e.time);
    if (!id) {
        write_failed("cannot record a " + kind + " event: ", id.error());
        return 0;
    }
    return *id;
}

void Dispatch::note(RowId event, const std::string& workflow, const Outcome& o) {
    if (!event || !open_writes()) return;
    if (auto r = m_store.set_outcome(event, workflow, o); !r)
        write_failed("cannot record what became of event " + std::to_string(event) + ": ",
                     r.error());
}

RowId Dispatch::fire(const model::Event& e, const std::vector<std::string>& targets, bool quiet,
                     bool merge) {
    const RowId ev = record(e);
    if (!ev) return 0;
    const Json payload = to_json(e);
    std::vector<Armed*> passed;
    std::vector<std::string> names, filtered;
    for (const auto& n : targets) {
        auto it = m_wfs.find(n);
        if (it == m_wfs.end()) continue;
        std::string why;
        if (m_filters.passes(it->second.w(), e, payload, why)) {
            passed.push_back(&it->second);
            names.push_back(n);
            continue;
        }
        if (!why.empty())
            error("event " + std::to_string(ev) + " for workflow '" + n +
                  "': its trigger's filter failed: " + why);
        note(ev, n, {.outcome = "filtered"});
        filtered.push_back(n);
    }
    if (merge && e.kind == model::Event::Kind::file && !e.rescan) {
        // Merged events are announced as merged, not as new ones.
        for (std::size_t i = passed.size(); i-- > 0;) {
            if (const RowId into = merge_into_queued(*passed[i], ev, e.paths)) {
                note(ev, names[i], {.outcome = "merged", .merged_into = into});
                passed.erase(passed.begin() + static_cast<std::ptrdiff_t>(i));
                names.erase(names.begin() + static_cast<std::ptrdiff_t>(i));
            }
        }
    }
    // Every event is announced (SPEC §9.2), a filtered one too.
    if (!quiet && (!passed.empty() || !filtered.empty())) {
        Json j = announcement(e, ev, names);
        if (!filtered.empty()) j["filtered"] = filtered;
        announce(j);
    }
    if (passed.empty()) return ev;
    for (Armed* a : passed) offer(*a, ev, Json::object());
    return ev;
}

RowId Dispatch::merge_into_queued(const Armed& a, RowId event,
                                  const std::vector<std::string>& paths) {
    auto q = m_store.queued(a.w().name, 0);
    if (!q) return 0;
    for (auto it = q->rbegin(); it != q->rend(); ++it) {
        if (it->event_id == event) continue;
        auto ev = m_store.get_event(it->event_id);
        if (!ev || !*ev || (*ev)->kind != "file") continue;
        Json payload = (*ev)->payload;
        std::set<std::string> merged;
        for (const auto& p : payload.value("paths", Json::array()))
            if (p.is_string()) merged.insert(p.get<std::string>());
        merged.insert(paths.begin(), paths.end());
        payload["paths"] = std::vector<std::string>(merged.begin(), merged.end());
        open_writes();
        if (auto r = m_store.set_event_payload(it->event_id, payload); !r)
            write_failed("", r.error());
        announce({{"type", "event"},
                  {"id", it->event_id},
                  {"event", event},
                  {"kind", "file"},
                  {"merged", true},
                  {"paths", paths},
                  {"workflows", {a.w().name}}});
        return it->event_id;
    }
    return 0;
}

Outcome Dispatch::offer(Armed& a, RowId event, const Json& params) {
    const auto& c = a.w().concurrency;
    const std::string& name = a.w().name;
    if (a.running >= c.limit) {
        if (c.on_busy == model::OnBusy::skip) {
            announce({{"type", "skip"},
                      {"event", event},
                      {"workflow", name},
                      {"message", "skipped: " + std::to_string(a.running) +
                                      " run(s) already running (on-busy: skip)"}});
            note(event, name, {.outcome = "skipped"});
            return {.outcome = "skipped"};
        }
        if (c.on_busy == model::OnBusy::cancel_running)
            for (RowId r : a.runs)
                m_engine->cancel(r, "cancelled by a newer event (on-busy: cancel-running)");
    }
    Json secret = Json::object();
    for (const auto& p : a.w().params)
        if (p.secret && params.contains(p.name)) secret[p.name] = params[p.name];
    open_writes();
    auto q = m_store.enqueue(name, event, masked_params(a.w(), params));
    if (!q) {
        write_failed("cannot queue event " + std::to_string(event) + ": ", q.error());
        return {.outcome = "dropped"};
    }
    a.maybe_queued = true;
    if (!secret.empty()) m_secret_params[*q] = std::move(secret);
    bool self_dropped = false;
    if (c.max_queued) {
        auto n = m_store.queued_count(name);
        // The oldest waiting events give way to the newest.
        for (std::int64_t extra = n ? *n - *c.max_queued : 0; extra > 0; --extra) {
            auto oldest = m_store.queued(name, 1);
            if (!oldest || oldest->empty()) break;
            self_dropped = self_dropped || oldest->front().id == *q;
            if (!drop(a, oldest->front(),
                      "dropped from the queue (max-queued: " + std::to_string(*c.max_queued) + ")"))
                return {.outcome = "dropped"};
        }
    }
    if (self_dropped) return {.outcome = "dropped"};
    // What dispatch() does with this entry decides the outcome; an event
    // that starts at once needs no outcome row (its run names it).
    m_watch_entry = *q;
    m_watch_run = 0;
    m_watch_dropped = false;
    dispatch(a);
    m_watch_entry = 0;
    if (m_watch_run) return {.outcome = "run", .run = m_watch_run};
    if (m_watch_dropped) return {.outcome = "dropped"};
    note(event, name, {.outcome = "queued"});
    return {.outcome = "queued"};
}

bool Dispatch::with_secrets(const Armed& a, const store::QueuedRun& entry, Json& params) const {
    if (auto it = m_secret_params.find(entry.id); it != m_secret_params.end()) {
        for (const auto& [k, v] : it->second.items()) params[k] = v;
        return true;
    }
    for (const auto& p : a.w().params)
        if (p.secret && params.contains(p.name) && params[p.name] == std::string(Masker::k_mask))
            return false;
    return true;
}

bool Dispatch::drop(const Armed& a, const store::QueuedRun& entry, const std::string& why) {
    open_writes();
    if (auto d = m_store.dequeue(entry.id); !d) {
        write_failed("", d.error());
        return false;
    }
    m_secret_params.erase(entry.id);
    announce(
        {{"type", "skip"}, {"event", entry.event_id}, {"workflow", a.w().name}, {"message", why}});
    note(entry.event_id, a.w().name, {.outcome = "dropped"});
    m_watch_dropped = m_watch_dropped || entry.id == m_watch_entry;
    return true;
}

// A restart forgets the secret params of what was queued (SPEC §9.4): such
// an entry is reported and dropped, never run without them.
void Dispatch::drop_lost_secrets(Armed& a) {
    auto q = m_store.queued(a.w().name, 0);
    if (!q) return error(q.error().message);
    a.queue_checked = true;
    for (const auto& entry : *q) {
        Json params = entry.params;
        if (!with_secrets(a, entry, params) && !drop(a, entry, k_secrets_lost)) return;
    }
}

void Dispatch::dispatch(Armed& a) {
    if (!m_stopping && !a.queue_checked) drop_lost_secrets(a);
    if (m_stopping || !m_engine) return;
    while (!m_stopping && a.running < a.w().concurrency.limit) {
        auto q = m_store.queued(a.w().name, 1);
        if (!q) {
            error(q.error().message);
            return;
        }
        if (q->empty()) {
            a.maybe_queued = false;
            return;
        }
        const auto entry = q->front();
        auto ev = m_store.get_event(entry.event_id);
        Json event = ev && *ev ? (*ev)->payload : Json::object();
        if (ev && *ev) {
            event["kind"] = (*ev)->kind;
            if (!event.contains("time")) event["time"] = format_rfc3339((*ev)->time);
        }
        Json given = entry.params;
        if (!with_secrets(a, entry, given)) {
            if (!drop(a, entry, k_secrets_lost)) return;
            continue;
        }
        auto params = resolve_params(a.w(), param_pairs(given));
        Result<RowId> run = params ? Result<RowId>(RowId{0}) : Result<RowId>(params.error());
        if (params) {
            RunRequest req;
            req.workflow = a.wf;
            req.params = *params;
            req.event_id = entry.event_id;
            req.event = event;
            req.dequeue = entry.id;
            run = m_engine->start(std::move(req));
        }
        if (!run && run.error().code == Errc::state)
            return;  // the store failed: the entry stays queued
        m_secret_params.erase(entry.id);
        if (!run) {
            // It can never start: drop it rather than retry forever.
            open_writes();
            if (auto d = m_store.dequeue(entry.id); !d && d.error().code == Errc::state)
                return write_failed("", d.error());
            error("event " + std::to_string(entry.event_id) + " cannot start workflow '" +
                  a.w().name + "': " + run.error().message);
            note(entry.event_id, a.w().name, {.outcome = "dropped"});
            m_watch_dropped = m_watch_dropped || entry.id == m_watch_entry;
            continue;
        }
        ++a.running;
        a.runs.insert(*run);
        // No outcome is written for a run: the run records its event
        // (runs.event_id), which list_events reads, and the engine's hot
        // path (a run starting) writes nothing more.
        if (entry.id == m_watch_entry) m_watch_run = *run;
    }
}

void Dispatch::dispatch_all() {
    for (auto& [n, a] : m_wfs)
        if (a.maybe_queued) dispatch(a);
}

void Dispatch::run_ended(RowId run, const std::string& workflow) {
    auto it = m_wfs.find(workflow);
    if (it != m_wfs.end() && it->second.runs.erase(run)) {
        --it->second.running;
        it->second.last_end = now();
        if (it->second.removed && it->second.running == 0) m_wfs.erase(it);
    }
}

}  // namespace weft::engine
