// Evaluation with GitHub Actions semantics (actions/runner, Sdk/Expressions):
// loose equality with number coercion, case-insensitive string comparison,
// && and || returning an operand, null for anything missing, and the
// `*` object filter.
#include <cmath>
#include <cstdio>
#include <limits>

#include "weft/expr/ast.hpp"
#include "weft/expr/value_ops.hpp"

namespace weft::expr {
namespace {

const Value k_null;

// A value being computed: a reference into the contexts where possible (no
// copy of large step outputs), else owned. `filtered` marks the result of a
// `*`: later accesses apply to each element and drop the misses.
struct Operand {
    const Value* ref = nullptr;
    Value owned;
    bool filtered = false;

    const Value& get() const { return ref ? *ref : owned; }
    static Operand of(const Value& v) { return Operand{&v, {}, false}; }
    static Operand own(Value v) { return Operand{nullptr, std::move(v), false}; }
};

// `object[key]`: the exact key, else a case-insensitive match (GitHub's
// contexts are case-insensitive dictionaries). nullptr when absent.
const Value* member(const Value& object, const std::string& key) {
    if (!object.is_object()) return nullptr;
    if (auto it = object.find(key); it != object.end()) return &*it;
    for (auto it = object.begin(); it != object.end(); ++it)
        if (iequals(it.key(), key)) return &*it;
    return nullptr;
}

// `container[index]` for an evaluated index: arrays by integral number
// (strings are coerced), objects by the index's text. nullptr when absent.
const Value* element(const Value& container, const Value& index) {
    if (container.is_array()) {
        if (!is_primitive(index)) return nullptr;
        const double d = to_number(index);
        if (!(d >= 0) || std::trunc(d) != d || d >= static_cast<double>(container.size()))
            return nullptr;
        return &container[static_cast<std::size_t>(d)];
    }
    if (container.is_object() && is_primitive(index)) return member(container, to_text(index));
    return nullptr;
}

class Evaluator {
  public:
    Evaluator(const Value& contexts, const Status& status)
        : m_contexts(contexts), m_status(status) {}

    Result<Operand> eval(const Node& n) {
        switch (n.kind) {
            case NodeKind::literal:
                return Operand::of(n.value);
            case NodeKind::context: {
                const Value* v = member(m_contexts, n.name);
                return Operand::of(v ? *v : k_null);
            }
            case NodeKind::property:
            case NodeKind::index:
            case NodeKind::filter:
                return eval_access(n);
            case NodeKind::call:
                return eval_call(n);
            case NodeKind::logical_not: {
                auto v = eval(*n.children[0]);
                if (!v) return v;
                return Operand::own(!truthy(v->get()));
            }
            case NodeKind::compare: {
                auto l = eval(*n.children[0]);
                if (!l) return l;
                auto r = eval(*n.children[1]);
                if (!r) return r;
                return Operand::own(compare(n.op, l->get(), r->get()));
            }
            case NodeKind::logical_and:
            case NodeKind::logical_or: {
                auto l = eval(*n.children[0]);
                if (!l) return l;
                const bool t = truthy(l->get());
                if ((n.kind == NodeKind::logical_and) != t) return unfiltered(std::move(*l));
                auto r = eval(*n.children[1]);
                if (!r) return r;
                return unfiltered(std::move(*r));
            }
        }
        return Operand::of(k_null);
    }

  private:
    static Operand unfiltered(Operand o) {
        o.filtered = false;
        return o;
    }

    static bool compare(CompareOp op, const Value& l, const Value& r) {
        switch (op) {
            case CompareOp::eq:
                return loose_equals(l, r);
            case CompareOp::ne:
                return !loose_equals(l, r);
            case CompareOp::lt:
                return loose_less(l, r);
            case CompareOp::gt:
                return loose_less(r, l);
            case CompareOp::le:
                return loose_less(l, r) || (!loose_less(r, l) && loose_equals(l, r));
            case CompareOp::ge:
                return loose_less(r, l) || (!loose_less(l, r) && loose_equals(l, r));
        }
        return false;
    }

    Result<Operand> eval_access(const Node& n) {
        auto base = eval(*n.children[0]);
        if (!base) return base;
        Value index;
        if (n.kind == NodeKind::index) {
            auto i = eval(*n.children[1]);
            if (!i) return i;
            index = i->get();
        }
        auto step = [&](const Value& v, auto&& emit) {
            if (n.kind == NodeKind::filter) {
                if (v.is_array() || v.is_object())
                    for (const auto& item : v) emit(&item);
            } else {
                emit(n.kind == NodeKind::property ? member(v, n.name) : element(v, index));
            }
        };
        if (!base->filtered && n.kind != NodeKind::filter) {
            const Value* found = nullptr;
            step(base->get(), [&](const Value* p) { found = p; });
            if (!found) return Operand::of(k_null);
            if (base->ref) return Operand::of(*found);
            return Operand::own(Value(*found));  // `found` lives in base->owned
        }
        Operand out = Operand::own(Value::array());
        out.filtered = true;
        auto add = [&](const Value* p) {
            if (p) out.owned.push_back(*p);
        };
        if (base->filtered) {
            for (const auto& item : base->get()) step(item, add);
        } else {
            step(base->get(), add);
        }
        return out;
    }

    Result<Operand> eval_call(const Node& n) {
        switch (n.function) {
            case Function::success:
                return Operand::own(!m_status.any_failed && !m_status.cancelled);
            case Function::failure:
                return Operand::own(m_status.any_failed);
            case Function::cancelled:
                return Operand::own(m_status.cancelled);
            case Function::always:
                return Operand::own(true);
            default:
                break;
        }
        std::vector<Value> args;
        args.reserve(n.children.size());
        for (const auto& c : n.children) {
            auto v = eval(*c);
            if (!v) return v.error();
            args.push_back(v->get());
        }
        auto r = call_function(n.function, args);
        if (!r) return make_error(r.error().code, r.error().message, n.offset);
        return Operand::own(std::move(*r));
    }

    const Value& m_contexts;
    const Status& m_status;
};

}  // namespace

bool truthy(const Value& v) {
    switch (v.type()) {
        case Value::value_t::null:
            return false;
        case Value::value_t::boolean:
            return v.get<bool>();
        case Value::value_t::number_integer:
            return v.get<std::int64_t>() != 0;
        case Value::value_t::number_unsigned:
            return v.get<std::uint64_t>() != 0;
        case Value::value_t::number_float: {
            const double d = v.get<double>();
            return d != 0 && !std::isnan(d);
        }
        case Value::value_t::string:
            return !v.get_ref<const std::string&>().empty();
        default:
            return true;
    }
}

Result<Value> evaluate(const Expr& e, const Value& contexts, const Status& status) {
    if (!e.root) return Value();
    Evaluator ev(contexts, status);
    auto r = ev.eval(*e.root);
    if (!r) return r.error();
    if (r->ref) return Value(*r->ref);
    return std::move(r->owned);
}

Result<std::string> render(const Template& t, const Value& contexts, const Status& status) {
    std::string out;
    for (const auto& part : t.parts) {
        if (!part.expr) {
            out += part.literal;
            continue;
        }
        auto v = evaluate(*part.expr, contexts, status);
        if (!v) {
            Error err = v.error();
            if (err.offset != Error::npos) err.offset += part.expr->offset;
            return err;
        }
        out += to_text(*v);
    }
    return out;
}

}  // namespace weft::expr
