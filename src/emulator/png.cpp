#include "emulator/png.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>
#include <string_view>

namespace dgrid::emulator {
namespace {

// CRC-32 (ISO 3309, reflected polynomial 0xEDB88320) as PNG chunks require.
constexpr std::array<std::uint32_t, 256> crc_table = [] {
    std::array<std::uint32_t, 256> table{};
    for (std::uint32_t n = 0; n < 256; ++n) {
        std::uint32_t c = n;
        for (int k = 0; k < 8; ++k) {
            c = (c & 1U) != 0 ? 0xEDB88320U ^ (c >> 1) : c >> 1;
        }
        table[n] = c;
    }
    return table;
}();

std::uint32_t crc32(std::string_view bytes) {
    std::uint32_t c = 0xFFFFFFFFU;
    for (const char b : bytes) {
        c = crc_table[(c ^ static_cast<unsigned char>(b)) & 0xFFU] ^ (c >> 8);
    }
    return c ^ 0xFFFFFFFFU;
}

std::uint32_t adler32(std::string_view bytes) {
    constexpr std::uint32_t modulus = 65521;
    // The largest run after which b cannot yet overflow 32 bits (zlib's NMAX),
    // so the modulo runs once per run instead of once per byte.
    constexpr std::size_t max_run = 5552;
    std::uint32_t a = 1;
    std::uint32_t b = 0;
    for (std::size_t offset = 0; offset < bytes.size(); offset += max_run) {
        const std::string_view run = bytes.substr(offset, max_run);
        for (const char byte : run) {
            a += static_cast<unsigned char>(byte);
            b += a;
        }
        a %= modulus;
        b %= modulus;
    }
    return b << 16 | a;
}

void put_u32_be(std::string& out, std::uint32_t v) {
    out += static_cast<char>(v >> 24 & 0xFFU);
    out += static_cast<char>(v >> 16 & 0xFFU);
    out += static_cast<char>(v >> 8 & 0xFFU);
    out += static_cast<char>(v & 0xFFU);
}

void put_chunk(std::string& out, std::string_view type, std::string_view data) {
    put_u32_be(out, static_cast<std::uint32_t>(data.size()));
    std::string typed(type);
    typed += data;
    out += typed;
    put_u32_be(out, crc32(typed)); // the CRC covers the type and the data, not the length
}

// A zlib stream (RFC 1950) wrapping stored deflate blocks (RFC 1951 3.2.4).
std::string zlib_stored(std::string_view raw) {
    constexpr std::size_t max_block = 65535;
    std::string out;
    out += '\x78'; // CMF: deflate, 32 KiB window
    out += '\x01'; // FLG: no dictionary, fastest; (0x78 * 256 + 0x01) % 31 == 0
    std::size_t offset = 0;
    do {
        const std::size_t len = std::min(max_block, raw.size() - offset);
        const bool last = offset + len == raw.size();
        out += static_cast<char>(last ? 1 : 0); // BFINAL bit, BTYPE 00 = stored
        out += static_cast<char>(len & 0xFFU);
        out += static_cast<char>(len >> 8 & 0xFFU);
        out += static_cast<char>(~len & 0xFFU);
        out += static_cast<char>(~len >> 8 & 0xFFU);
        out.append(raw.substr(offset, len));
        offset += len;
    } while (offset < raw.size());
    put_u32_be(out, adler32(raw));
    return out;
}

} // namespace

std::string make_gradient_png(std::uint32_t width, std::uint32_t height) {
    if (width == 0 || height == 0) {
        throw std::invalid_argument("make_gradient_png: empty image");
    }
    // Filled in place: large images (2048 square is 12 MB) must stay fast.
    const std::size_t stride = 1 + static_cast<std::size_t>(width) * 3;
    std::string raw(static_cast<std::size_t>(height) * stride, '\0');
    for (std::uint32_t y = 0; y < height; ++y) {
        char* line = raw.data() + y * stride;
        line[0] = '\0'; // filter type None for every scanline
        const auto green = static_cast<char>(height == 1 ? 0 : y * 255 / (height - 1));
        for (std::uint32_t x = 0; x < width; ++x) {
            char* pixel = line + 1 + static_cast<std::size_t>(x) * 3;
            pixel[0] = static_cast<char>(width == 1 ? 0 : x * 255 / (width - 1));
            pixel[1] = green;
            pixel[2] = static_cast<char>(128);
        }
    }

    std::string header;
    put_u32_be(header, width);
    put_u32_be(header, height);
    header += '\x08'; // bit depth
    header += '\x02'; // colour type: truecolour
    header += '\0';   // compression: deflate
    header += '\0';   // filter method 0
    header += '\0';   // no interlace

    std::string png("\x89PNG\r\n\x1a\n", 8);
    put_chunk(png, "IHDR", header);
    put_chunk(png, "IDAT", zlib_stored(raw));
    put_chunk(png, "IEND", {});
    return png;
}

} // namespace dgrid::emulator
