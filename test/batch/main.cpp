#define BOOST_TEST_MODULE dgrid batch tests
#include <boost/test/unit_test.hpp>
