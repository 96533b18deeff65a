#ifndef DGRID_MODEL_LIST_HPP
#define DGRID_MODEL_LIST_HPP

#include <dgrid/response_info.hpp>

#include <boost/describe/class.hpp>
#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dgrid {

/// One entry of `GET /models`.
struct model_info {
    /// Equal when every member is.
    bool operator==(const model_info&) const = default;

    /// `id`: the name to put in `chat_request::model`.
    std::string id;
    /// "model"; not relied upon.
    std::string object;
    /// `created`: when the model was added, in Unix seconds; absent when not sent.
    std::optional<std::int64_t> created;
    /// `owned_by`: the organisation that owns the model.
    std::string owned_by;
    /// DGrid: the API shapes this model serves ("openai", ...).
    std::vector<std::string> supported_endpoint_types;
    /// Members this library does not know.
    boost::json::object extra;
};
BOOST_DESCRIBE_STRUCT(model_info, (), (id, object, created, owned_by, supported_endpoint_types, extra))

/// The response to `GET /models`.
struct model_list {
    /// Equal when every member is.
    bool operator==(const model_list&) const = default;

    std::vector<model_info> data; ///< `data`: the models.
    boost::json::object extra;    ///< Members this library does not know.
    /// The HTTP response it came in, as `chat_completion::response`.
    response_info response;
};
BOOST_DESCRIBE_STRUCT(model_list, (), (data, extra))

} // namespace dgrid

#endif
