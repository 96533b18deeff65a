#ifndef DGRID_TEST_UNIT_TEST_SUPPORT_HPP
#define DGRID_TEST_UNIT_TEST_SUPPORT_HPP

// Checks shared by the unit tests of the JSON mapping and the stream decoding.

#include <dgrid/chat_completion.hpp>
#include <dgrid/json.hpp>
#include <dgrid/message.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <string>
#include <variant>
#include <vector>

#define CHECK_OPT(opt, expected)                                                                                       \
    do {                                                                                                               \
        BOOST_TEST((opt).has_value());                                                                                 \
        if ((opt).has_value())                                                                                         \
            BOOST_TEST(*(opt) == (expected));                                                                          \
    } while (0)

// Compares JSON by value (member order does not matter), printing both on failure.
#define CHECK_JSON(actual, expected_text)                                                                              \
    do {                                                                                                               \
        const boost::json::value expected_ = boost::json::parse(expected_text);                                        \
        const boost::json::value actual_ = (actual);                                                                   \
        BOOST_TEST((actual_ == expected_),                                                                             \
                   "got " << boost::json::serialize(actual_) << "\nwant " << boost::json::serialize(expected_));       \
    } while (0)

namespace dgrid {
// Lets Boost.Test print `dgrid::error` in failed comparisons.
inline std::ostream& boost_test_print_type(std::ostream& os, error e) { return os << make_error_code(e).message(); }
} // namespace dgrid

namespace dgrid::test {

inline void check_equal(const message_content& a, const message_content& b) {
    BOOST_TEST(a.index() == b.index());
    if (a.index() != b.index())
        return;
    if (const auto* s = std::get_if<std::string>(&a)) {
        BOOST_TEST(*s == std::get<std::string>(b));
        return;
    }
    const auto& pa = std::get<std::vector<content_part>>(a);
    const auto& pb = std::get<std::vector<content_part>>(b);
    BOOST_TEST_REQUIRE(pa.size() == pb.size());
    for (std::size_t i = 0; i < pa.size(); ++i) {
        BOOST_TEST(pa[i].index() == pb[i].index());
        if (const auto* t = std::get_if<text_part>(&pa[i])) {
            if (const auto* u = std::get_if<text_part>(&pb[i]))
                BOOST_TEST(t->text == u->text);
        } else if (const auto* u = std::get_if<image_url_part>(&pb[i])) {
            const auto& t2 = std::get<image_url_part>(pa[i]);
            BOOST_TEST(t2.url == u->url);
            BOOST_TEST((t2.detail == u->detail));
        }
    }
}

inline void check_equal(const message& a, const message& b) {
    BOOST_TEST(a.role == b.role);
    BOOST_TEST(a.content.has_value() == b.content.has_value());
    if (a.content && b.content)
        check_equal(*a.content, *b.content);
    BOOST_TEST((a.name == b.name));
    BOOST_TEST_REQUIRE(a.tool_calls.size() == b.tool_calls.size());
    for (std::size_t i = 0; i < a.tool_calls.size(); ++i) {
        BOOST_TEST(a.tool_calls[i].id == b.tool_calls[i].id);
        BOOST_TEST(a.tool_calls[i].type == b.tool_calls[i].type);
        BOOST_TEST(a.tool_calls[i].function.name == b.tool_calls[i].function.name);
        BOOST_TEST(a.tool_calls[i].function.arguments == b.tool_calls[i].function.arguments);
    }
    BOOST_TEST((a.tool_call_id == b.tool_call_id));
    BOOST_TEST((a.reasoning_content == b.reasoning_content));
    BOOST_TEST(a.extra == b.extra);
}

// Field by field, so that a failure says which one differs; then, as a
// whole, so that nothing else does.
inline void check_equal(const chat_completion& a, const chat_completion& b) {
    BOOST_TEST(a.id == b.id);
    BOOST_TEST(a.object == b.object);
    BOOST_TEST((a.created == b.created));
    BOOST_TEST(a.model == b.model);
    BOOST_TEST_REQUIRE(a.choices.size() == b.choices.size());
    for (std::size_t i = 0; i < a.choices.size(); ++i) {
        BOOST_TEST(a.choices[i].index == b.choices[i].index);
        check_equal(a.choices[i].message, b.choices[i].message);
        BOOST_TEST((a.choices[i].finish_reason == b.choices[i].finish_reason));
        BOOST_TEST(a.choices[i].logprobs == b.choices[i].logprobs);
        BOOST_TEST(a.choices[i].extra == b.choices[i].extra);
    }
    BOOST_TEST_REQUIRE(a.usage.has_value() == b.usage.has_value());
    if (a.usage) {
        const usage& ua = *a.usage;
        const usage& ub = *b.usage;
        BOOST_TEST((ua.prompt_tokens == ub.prompt_tokens));
        BOOST_TEST((ua.completion_tokens == ub.completion_tokens));
        BOOST_TEST((ua.total_tokens == ub.total_tokens));
        BOOST_TEST(ua.extra == ub.extra);
        BOOST_TEST_REQUIRE(ua.prompt_tokens_details.has_value() == ub.prompt_tokens_details.has_value());
        if (ua.prompt_tokens_details) {
            const auto& pa = *ua.prompt_tokens_details;
            const auto& pb = *ub.prompt_tokens_details;
            BOOST_TEST((pa.cached_tokens == pb.cached_tokens));
            BOOST_TEST((pa.text_tokens == pb.text_tokens));
            BOOST_TEST((pa.audio_tokens == pb.audio_tokens));
            BOOST_TEST((pa.image_tokens == pb.image_tokens));
            BOOST_TEST(pa.extra == pb.extra);
        }
        BOOST_TEST_REQUIRE(ua.completion_tokens_details.has_value() == ub.completion_tokens_details.has_value());
        if (ua.completion_tokens_details) {
            const auto& ca = *ua.completion_tokens_details;
            const auto& cb = *ub.completion_tokens_details;
            BOOST_TEST((ca.text_tokens == cb.text_tokens));
            BOOST_TEST((ca.audio_tokens == cb.audio_tokens));
            BOOST_TEST((ca.reasoning_tokens == cb.reasoning_tokens));
            BOOST_TEST(ca.extra == cb.extra);
        }
    }
    BOOST_TEST((a.system_fingerprint == b.system_fingerprint));
    BOOST_TEST(a.extra == b.extra);
    BOOST_TEST(boost::json::serialize(to_json(a)) == boost::json::serialize(to_json(b)));
}

} // namespace dgrid::test

#endif
