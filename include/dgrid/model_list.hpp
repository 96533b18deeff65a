#ifndef DGRID_MODEL_LIST_HPP
#define DGRID_MODEL_LIST_HPP

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dgrid {

/// One entry of `GET /models`.
struct model_info {
    std::string id;
    std::string object;
    std::optional<std::int64_t> created;
    std::string owned_by;
    /// DGrid: the API shapes this model serves ("openai", ...).
    std::vector<std::string> supported_endpoint_types;
    boost::json::object extra;
};

/// The response to `GET /models`.
struct model_list {
    std::vector<model_info> data;
    boost::json::object extra;
};

} // namespace dgrid

#endif
