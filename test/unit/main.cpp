#define BOOST_TEST_MODULE dgrid unit tests
#include <boost/test/unit_test.hpp>
