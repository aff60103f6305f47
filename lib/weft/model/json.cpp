#include "weft/model/json.hpp"

#include <unordered_map>
#include <utility>
#include <vector>

namespace weft::model {
namespace {

// Builds the document from parser events, indexing the keys of each open
// object in a hash map so that a key is found in constant time.
class OrderedBuilder : public nlohmann::json_sax<OrderedJson> {
  public:
    OrderedJson result;

    bool null() override { return add(nullptr); }
    bool boolean(bool v) override { return add(v); }
    bool number_integer(number_integer_t v) override { return add(v); }
    bool number_unsigned(number_unsigned_t v) override { return add(v); }
    bool number_float(number_float_t v, const string_t&) override { return add(v); }
    bool string(string_t& v) override { return add(std::move(v)); }
    bool binary(binary_t& v) override { return add(OrderedJson::binary(std::move(v))); }
    bool start_object(std::size_t) override { return open(OrderedJson::object()); }
    bool key(string_t& k) override {
        m_key = std::move(k);
        return true;
    }
    bool end_object() override { return close(); }
    bool start_array(std::size_t) override { return open(OrderedJson::array()); }
    bool end_array() override { return close(); }
    bool parse_error(std::size_t, const std::string&,
                     const nlohmann::detail::exception& e) override {
        throw e;
    }

  private:
    struct Open {
        OrderedJson* value;
        std::unordered_map<std::string, std::size_t> index;  // objects: key -> position
    };

    // Puts `v` in the innermost open container (or makes it the result) and
    // returns where it now lives. Open containers never move: only the
    // innermost one grows.
    OrderedJson* place(OrderedJson v) {
        if (m_open.empty()) {
            result = std::move(v);
            return &result;
        }
        Open& top = m_open.back();
        if (top.value->is_array()) {
            auto& array = top.value->get_ref<OrderedJson::array_t&>();
            array.push_back(std::move(v));
            return &array.back();
        }
        auto& object = top.value->get_ref<OrderedJson::object_t&>();
        if (auto it = top.index.find(m_key); it != top.index.end()) {
            auto& slot = (object.begin() + static_cast<std::ptrdiff_t>(it->second))->second;
            slot = std::move(v);
            return &slot;
        }
        top.index.emplace(m_key, object.size());
        object.emplace_back(std::move(m_key), std::move(v));
        return &object.back().second;
    }

    bool add(OrderedJson v) {
        place(std::move(v));
        return true;
    }
    bool open(OrderedJson v) {
        m_open.push_back(Open{place(std::move(v)), {}});
        return true;
    }
    bool close() {
        m_open.pop_back();
        return true;
    }

    std::vector<Open> m_open;
    std::string m_key;
};

}  // namespace

std::string dump_json(const Json& value) {
    return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

OrderedJson parse_ordered_json(std::string_view text) {
    OrderedBuilder builder;
    OrderedJson::sax_parse(text.begin(), text.end(), &builder);
    return std::move(builder.result);
}

}  // namespace weft::model
