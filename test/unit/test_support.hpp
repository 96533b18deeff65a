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

// Equality of the value types, printing both sides' JSON on failure.
inline void check_equal(const message_content& a, const message_content& b) {
    message ma, mb;
    ma.content = a;
    mb.content = b;
    BOOST_TEST((a == b),
               "got " << boost::json::serialize(to_json(ma)) << "\nwant " << boost::json::serialize(to_json(mb)));
}

inline void check_equal(const message& a, const message& b) {
    BOOST_TEST((a == b),
               "got " << boost::json::serialize(to_json(a)) << "\nwant " << boost::json::serialize(to_json(b)));
}

inline void check_equal(const chat_completion& a, const chat_completion& b) {
    BOOST_TEST((a == b),
               "got " << boost::json::serialize(to_json(a)) << "\nwant " << boost::json::serialize(to_json(b)));
}

} // namespace dgrid::test

#endif
