// Evaluation with GitHub Actions semantics (actions/runner, Sdk/Expressions):
// loose equality with number coercion, case-insensitive string comparison,
// && and || returning an operand, null for anything missing, and the
// `*` object filter.
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>

#include "weft/expr/ast.hpp"
#include "weft/expr/value_ops.hpp"

namespace weft::expr {
namespace {

// `object[key]`: the exact key, else a case-insensitive match (GitHub's
// contexts are case-insensitive dictionaries). nullptr when absent.
template <class J>
const J* member(const J& object, const std::string& key) {
    if (!object.is_object()) return nullptr;
    if (auto it = object.find(key); it != object.end()) return &*it;
    for (auto it = object.begin(); it != object.end(); ++it)
        if (iequals(it.key(), key)) return &*it;
    return nullptr;
}

// `container[index]` for an evaluated primitive index: arrays by integral
// number (strings are coerced), objects by the index's text. nullptr when
// absent.
template <class J>
const J* element(const J& container, const Value& index) {
    if (container.is_array()) {
        const double d = to_number(index);
        if (!(d >= 0) || std::trunc(d) != d || d >= static_cast<double>(container.size()))
            return nullptr;
        return &container[static_cast<std::size_t>(d)];
    }
    if (container.is_object()) return member(container, to_text(index));
    return nullptr;
}

template <class J>
bool is_container(const J& v) {
    return v.is_array() || v.is_object();
}

// Evaluates against contexts of type Ctx (the engine's sorted model::Json or
// an ordered Value) without copying them: operands point into the contexts
// and only values that functions consume or the caller receives are copied.
template <class Ctx>
class Evaluator {
  public:
    // A value being computed: in the contexts, in the AST (literals), or
    // owned. `filtered` marks the result of a `*`: later accesses apply to
    // each element and drop the misses.
    struct Operand {
        const Ctx* ctx = nullptr;
        const Value* ref = nullptr;
        Value owned;
        bool filtered = false;

        // Where the value lives: an array or object equals only itself.
        const void* identity() const {
            if (ctx) return ctx;
            return ref ? ref : &owned;
        }
        bool container() const { return ctx ? is_container(*ctx) : is_container(get()); }
        const Value& get() const { return ref ? *ref : owned; }
        Value value() const { return ctx ? Value(*ctx) : get(); }
        Value take() && {
            if (ctx) return Value(*ctx);
            return ref ? *ref : std::move(owned);
        }
    };

    Evaluator(const Ctx& contexts, const Status& status) : m_contexts(contexts), m_status(status) {}

    Result<Operand> eval(const Node& n) {
        switch (n.kind) {
            case NodeKind::literal:
                return in_ast(n.value);
            case NodeKind::context:
                return in_contexts(member(m_contexts, n.name));
            case NodeKind::property:
            case NodeKind::index:
            case NodeKind::filter:
                return eval_access(n);
            case NodeKind::call:
                return eval_call(n);
            case NodeKind::logical_not: {
                auto v = eval(*n.children[0]);
                if (!v) return v;
                return own(Value(!truthy_of(*v)));
            }
            case NodeKind::compare: {
                auto l = eval(*n.children[0]);
                if (!l) return l;
                auto r = eval(*n.children[1]);
                if (!r) return r;
                return own(Value(compare(n.op, *l, *r)));
            }
            case NodeKind::logical_and:
            case NodeKind::logical_or: {
                auto l = eval(*n.children[0]);
                if (!l) return l;
                const bool t = truthy_of(*l);
                if ((n.kind == NodeKind::logical_and) != t) return unfiltered(std::move(*l));
                auto r = eval(*n.children[1]);
                if (!r) return r;
                return unfiltered(std::move(*r));
            }
        }
        return in_ast(k_null);
    }

  private:
    inline static const Value k_null;

    static Operand in_ast(const Value& v) { return Operand{nullptr, &v, {}, false}; }
    static Operand in_contexts(const Ctx* v) {
        return v ? Operand{v, nullptr, {}, false} : in_ast(k_null);
    }
    static Operand own(Value v) { return Operand{nullptr, nullptr, std::move(v), false}; }

    static Operand unfiltered(Operand o) {
        o.filtered = false;
        return o;
    }

    static bool truthy_of(const Operand& o) { return o.container() || truthy(o.value()); }

    static bool compare(CompareOp op, const Operand& l, const Operand& r) {
        if (l.container() || r.container()) {
            // GitHub compares arrays and objects by reference and never orders them.
            const bool same = l.container() && r.container() && l.identity() == r.identity();
            switch (op) {
                case CompareOp::ne:
                    return !same;
                case CompareOp::eq:
                case CompareOp::le:
                case CompareOp::ge:
                    return same;
                default:
                    return false;
            }
        }
        const Value lv = l.value(), rv = r.value();
        switch (op) {
            case CompareOp::eq:
                return loose_equals(lv, rv);
            case CompareOp::ne:
                return !loose_equals(lv, rv);
            case CompareOp::lt:
                return loose_less(lv, rv);
            case CompareOp::gt:
                return loose_less(rv, lv);
            case CompareOp::le:
                return loose_less(lv, rv) || (!loose_less(rv, lv) && loose_equals(lv, rv));
            case CompareOp::ge:
                return loose_less(rv, lv) || (!loose_less(lv, rv) && loose_equals(lv, rv));
        }
        return false;
    }
    // Applies one access step (`.name`, `[index]`, `*`) to `v`, a value of
    // the contexts or a Value, calling emit() with each element found
    // (nullptr for a miss).
    template <class J, class Emit>
    static void step(const Node& n, const J& v, const std::optional<Value>& index, Emit&& emit) {
        if (n.kind == NodeKind::filter) {
            if (is_container(v))
                for (const auto& item : v) emit(&item);
        } else if (n.kind == NodeKind::property) {
            emit(member(v, n.name));
        } else {
            emit(index ? element(v, *index) : nullptr);
        }
    }

    Result<Operand> eval_access(const Node& n) {
        auto base = eval(*n.children[0]);
        if (!base) return base;
        std::optional<Value> index;  // none: not a primitive, so it finds nothing
        if (n.kind == NodeKind::index) {
            auto i = eval(*n.children[1]);
            if (!i) return i;
            if (!i->container()) index = i->value();
        }
        if (!base->filtered && n.kind != NodeKind::filter) {
            Operand out = in_ast(k_null);
            if (base->ctx) {
                step(n, *base->ctx, index, [&](const Ctx* p) { out = in_contexts(p); });
            } else {
                step(n, base->get(), index, [&](const Value* p) {
                    if (!p) return;
                    // `p` lives in base->owned, which dies here.
                    out = base->ref ? in_ast(*p) : own(Value(*p));
                });
            }
            return out;
        }
        Operand out = own(Value::array());
        out.filtered = true;
        auto add = [&](const auto* p) {
            if (p) out.owned.push_back(Value(*p));
        };
        if (base->filtered) {
            for (const auto& item : base->get()) step(n, item, index, add);
        } else if (base->ctx) {
            step(n, *base->ctx, index, add);
        } else {
            step(n, base->get(), index, add);
        }
        return out;
    }

    // contains(list, x) for an array or object x: true when x is one of the
    // list's elements itself (equality of containers is identity).
    static bool holds_itself(const Operand& list, const Operand& x) {
        const void* target = x.identity();
        auto search = [&](const auto& v) {
            if (!v.is_array()) return false;
            for (const auto& item : v)
                if (static_cast<const void*>(&item) == target) return true;
            return false;
        };
        return list.ctx ? search(*list.ctx) : search(list.get());
    }

    // case(pred1, val1, ..., default): the value after the first true
    // condition. Conditions must be booleans (GitHub fails otherwise); the
    // values of branches not taken are not evaluated.
    Result<Operand> eval_case(const Node& n) {
        const std::size_t last = n.children.size() - 1;
        for (std::size_t i = 0; i < last; i += 2) {
            auto pred = eval(*n.children[i]);
            if (!pred) return pred;
            const Value p = pred->container() ? Value() : pred->value();
            if (!p.is_boolean())
                return make_error(Errc::invalid,
                                  "case: condition " + std::to_string(i / 2 + 1) +
                                      " must be a boolean, like a comparison",
                                  n.children[i]->offset);
            if (p.get<bool>()) return chosen(*n.children[i + 1]);
        }
        return chosen(*n.children[last]);
    }

    Result<Operand> chosen(const Node& n) {
        auto v = eval(n);
        if (!v) return v;
        return unfiltered(std::move(*v));
    }

    Result<Operand> eval_call(const Node& n) {
        switch (n.function) {
            case Function::success:
                return own(Value(!m_status.any_failed && !m_status.cancelled));
            case Function::failure:
                return own(Value(m_status.any_failed));
            case Function::cancelled:
                return own(Value(m_status.cancelled));
            case Function::always:
                return own(Value(true));
            case Function::case_:
                return eval_case(n);
            default:
                break;
        }
        std::vector<Operand> operands;
        operands.reserve(n.children.size());
        for (const auto& c : n.children) {
            auto v = eval(*c);
            if (!v) return v.error();
            operands.push_back(std::move(*v));
        }
        if (n.function == Function::contains && operands[1].container())
            return own(Value(holds_itself(operands[0], operands[1])));
        std::vector<Value> args;
        args.reserve(operands.size());
        for (auto& o : operands) args.push_back(std::move(o).take());
        auto r = call_function(n.function, args);
        if (!r) return make_error(r.error().code, r.error().message, n.offset);
        return own(std::move(*r));
    }

    const Ctx& m_contexts;
    const Status& m_status;
};

template <class Ctx>
Result<Value> evaluate_in(const Expr& e, const Ctx& contexts, const Status& status) {
    if (!e.root) return Value();
    Evaluator<Ctx> ev(contexts, status);
    auto r = ev.eval(*e.root);
    if (!r) return r.error();
    return std::move(*r).take();
}

template <class Ctx>
Result<std::string> render_in(const Template& t, const Ctx& contexts, const Status& status) {
    std::string out;
    for (const auto& part : t.parts) {
        if (!part.expr) {
            out += part.literal;
            continue;
        }
        auto v = evaluate_in(*part.expr, contexts, status);
        if (!v) {
            Error err = v.error();
            if (err.offset != Error::npos) err.offset += part.expr->offset;
            return err;
        }
        out += to_text(*v);
    }
    return out;
}

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

Result<Value> evaluate(const Expr& e, const Contexts& contexts, const Status& status) {
    return evaluate_in(e, contexts, status);
}

template <std::same_as<Value> C>
Result<Value> evaluate(const Expr& e, const C& contexts, const Status& status) {
    return evaluate_in(e, contexts, status);
}
template Result<Value> evaluate<Value>(const Expr&, const Value&, const Status&);

Result<std::string> render(const Template& t, const Contexts& contexts, const Status& status) {
    return render_in(t, contexts, status);
}

template <std::same_as<Value> C>
Result<std::string> render(const Template& t, const C& contexts, const Status& status) {
    return render_in(t, contexts, status);
}
template Result<std::string> render<Value>(const Template&, const Value&, const Status&);

}  // namespace weft::expr
