#define BOOST_TEST_MODULE dgrid integration tests
#include <boost/test/unit_test.hpp>
