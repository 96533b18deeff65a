#ifndef DGRID_EMULATOR_SCHEMA_INSTANCE_HPP
#define DGRID_EMULATOR_SCHEMA_INSTANCE_HPP

#include <boost/json/value.hpp>

namespace dgrid::emulator {

/// A value that `schema` (JSON Schema, the subset structured outputs use)
/// accepts, the same every time: each property of an object, one item per
/// array (none once nested deep, so that recursive schemas end), the first
/// `enum` value, `const`, the first alternative of `anyOf` or of a type list
/// that is not null (null when nested deep and allowed), `$ref` to `#` or
/// `#/$defs/...`; a string is the name of the property holding it ("text" at
/// the top or in an array), an integer 1 (or `minimum`), a number 1.5, a
/// boolean true. Anything else, or a schema it cannot follow, gives null;
/// so do the values past the 10,000th, which bounds what a hostile schema
/// costs.
boost::json::value schema_instance(const boost::json::value& schema);

} // namespace dgrid::emulator

#endif
