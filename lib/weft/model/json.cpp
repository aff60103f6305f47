#include "weft/model/json.hpp"

namespace weft::model {

std::string dump_json(const Json& value) {
    return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace weft::model
