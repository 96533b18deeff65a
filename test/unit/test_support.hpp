#ifndef DGRID_TEST_UNIT_TEST_SUPPORT_HPP
#define DGRID_TEST_UNIT_TEST_SUPPORT_HPP

// Checks shared by the unit tests of the JSON mapping and the stream decoding.

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

} // namespace dgrid::test

#endif
