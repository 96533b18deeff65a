#ifndef DGRID_EMULATOR_BASE64_HPP
#define DGRID_EMULATOR_BASE64_HPP

#include <string>
#include <string_view>

namespace dgrid::emulator {

/// `bytes` in standard base64 (RFC 4648 section 4, with `=` padding), the
/// alphabet data URIs use.
std::string base64_encode(std::string_view bytes);

} // namespace dgrid::emulator

#endif
