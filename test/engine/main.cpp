#define BOOST_TEST_MODULE dgrid engine tests
#include <boost/test/unit_test.hpp>
