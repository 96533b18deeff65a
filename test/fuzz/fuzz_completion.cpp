// Fuzzes parse_json for a chat completion, which reads the usual shapes in
// one pass without a JSON tree (completion_reader) and the rest through the
// tree. Differential check: whatever the text, the result must be what
// from_json gives on Boost.JSON's tree of it (its lone surrogate escapes
// rewritten as U+FFFD's first, which Boost.JSON refuses): the same error, the same
// diagnostics, and on success the same completion, members in the same order
// and each in the same place (typed or in an `extra`).
#include <dgrid/detail/json/lone_surrogates.hpp>
#include <dgrid/json.hpp>

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>
#include <boost/json/serialize.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "fuzz_completion: invariant violated: %s\n", what);
        std::abort();
    }
}

// The completion as JSON text, then every `extra` object on its own: to_json
// merges the extras over the typed members, which would hide a member read
// into the wrong one. Serialized text compares member order too (and NaN,
// which Boost.JSON reads from 0e400, equal to itself).
std::string written(const dgrid::chat_completion& c) {
    boost::json::array extras;
    extras.emplace_back(c.extra);
    for (const dgrid::choice& choice : c.choices) {
        extras.emplace_back(choice.extra);
        extras.emplace_back(choice.message.extra);
    }
    if (c.usage) {
        extras.emplace_back(c.usage->extra);
        if (c.usage->prompt_tokens_details)
            extras.emplace_back(c.usage->prompt_tokens_details->extra);
        if (c.usage->completion_tokens_details)
            extras.emplace_back(c.usage->completion_tokens_details->extra);
    }
    return boost::json::serialize(dgrid::to_json(c)) + boost::json::serialize(extras);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    dgrid::chat_completion parsed;
    dgrid::diagnostics parsed_diag;
    const dgrid::error_code parsed_ec = dgrid::parse_json(text, parsed, parsed_diag);

    boost::json::parse_options options;
    options.max_depth = dgrid::detail::max_json_depth;
    boost::system::error_code json_ec;
    boost::json::value tree = boost::json::parse(text, json_ec, {}, options);
    std::string rewritten;
    if (json_ec && dgrid::detail::rewrite_lone_surrogates(text, dgrid::detail::lone_surrogate_rule::replace, rewritten))
        tree = boost::json::parse(rewritten, json_ec, {}, options);
    if (json_ec) {
        check(parsed_ec == dgrid::error::invalid_json, "parse_json read text that is not JSON");
        return 0;
    }
    dgrid::chat_completion fresh;
    dgrid::diagnostics fresh_diag;
    const dgrid::error_code fresh_ec = dgrid::from_json(tree, fresh, fresh_diag);
    check(parsed_ec == fresh_ec, "parse_json and from_json disagree on the error");
    check(parsed_diag.message == fresh_diag.message, "parse_json and from_json disagree on the diagnostics");
    if (!fresh_ec && written(parsed) != written(fresh)) {
        std::fprintf(stderr, "parse_json: %s\nfrom_json:  %s\n", written(parsed).c_str(), written(fresh).c_str());
        check(false, "parse_json and from_json disagree on the completion");
    }
    return 0;
}
