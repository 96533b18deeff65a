#ifndef DGRID_IMPL_IMAGE_INPUT_IPP
#define DGRID_IMPL_IMAGE_INPUT_IPP

#include <dgrid/base64.hpp>
#include <dgrid/image_input.hpp>

#include <cerrno>
#include <fstream>
#include <system_error>
#include <utility>

namespace dgrid {
namespace detail {

inline std::string_view image_type_from_extension(const std::filesystem::path& path) {
    std::string ext = path.extension().string();
    for (char& c : ext)
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    if (ext == ".png")
        return "image/png";
    if (ext == ".jpg" || ext == ".jpeg")
        return "image/jpeg";
    if (ext == ".gif")
        return "image/gif";
    if (ext == ".webp")
        return "image/webp";
    return {};
}

// Reads at most `limit + 1` bytes, so that a file that grew after its size
// was taken is still caught by the limit and never read whole.
inline error_code read_image_file(const std::filesystem::path& path, std::uintmax_t limit, std::string& out) {
    std::error_code sec;
    const std::uintmax_t size = std::filesystem::file_size(path, sec);
    if (sec)
        return sec;
    if (size > limit)
        return error::invalid_request;
    errno = 0;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        const int e = errno;
        return std::error_code(e != 0 ? e : static_cast<int>(std::errc::io_error), std::generic_category());
    }
    out.resize(static_cast<std::size_t>(size) + 1);
    const std::streamsize got = in.rdbuf()->sgetn(out.data(), static_cast<std::streamsize>(out.size()));
    if (got < 0)
        return std::make_error_code(std::errc::io_error);
    out.resize(static_cast<std::size_t>(got));
    if (out.size() > limit)
        return error::invalid_request;
    return {};
}

} // namespace detail

DGRID_DECL image_url_part image_from_url(std::string url, std::optional<std::string> detail) {
    return {std::move(url), std::move(detail)};
}

DGRID_DECL image_url_part image_from_bytes(std::string_view bytes, std::string_view mime_type,
                                           std::optional<std::string> detail) {
    constexpr std::string_view scheme = "data:";
    constexpr std::string_view marker = ";base64,";
    image_url_part part;
    part.url.reserve(scheme.size() + mime_type.size() + marker.size() + (bytes.size() + 2) / 3 * 4);
    part.url.append(scheme).append(mime_type).append(marker).append(base64_encode(bytes));
    part.detail = std::move(detail);
    return part;
}

DGRID_DECL std::string_view sniff_image_type(std::string_view bytes) noexcept {
    using namespace std::string_view_literals;
    if (bytes.substr(0, 8) == "\x89PNG\r\n\x1a\n"sv)
        return "image/png";
    if (bytes.substr(0, 3) == "\xFF\xD8\xFF"sv)
        return "image/jpeg";
    if (bytes.substr(0, 6) == "GIF87a"sv || bytes.substr(0, 6) == "GIF89a"sv)
        return "image/gif";
    if (bytes.size() >= 12 && bytes.substr(0, 4) == "RIFF"sv && bytes.substr(8, 4) == "WEBP"sv)
        return "image/webp";
    return {};
}

DGRID_DECL image_url_part image_from_file(const std::filesystem::path& path, error_code& ec,
                                          std::optional<std::string> detail) {
    std::string bytes;
    ec = detail::read_image_file(path, max_image_file_size, bytes);
    if (ec)
        return {};
    if (bytes.empty()) {
        ec = error::invalid_request;
        return {};
    }
    std::string_view mime = sniff_image_type(bytes);
    if (mime.empty())
        mime = detail::image_type_from_extension(path);
    if (mime.empty()) {
        ec = error::invalid_request;
        return {};
    }
    return image_from_bytes(bytes, mime, std::move(detail));
}

} // namespace dgrid

#endif
