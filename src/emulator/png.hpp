#ifndef DGRID_EMULATOR_PNG_HPP
#define DGRID_EMULATOR_PNG_HPP

#include <cstdint>
#include <string>

namespace dgrid::emulator {

/// A valid 8-bit RGB PNG file of `width` x `height` pixels showing a colour
/// gradient: what `emulator/image` "generates". The image data uses stored
/// (uncompressed) deflate blocks, so no zlib is needed; CRC-32 and Adler-32 are
/// computed here. Both dimensions must be at least 1.
std::string make_gradient_png(std::uint32_t width, std::uint32_t height);

} // namespace dgrid::emulator

#endif
