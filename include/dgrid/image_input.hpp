#ifndef DGRID_IMAGE_INPUT_HPP
#define DGRID_IMAGE_INPUT_HPP

#include <dgrid/detail/config.hpp>
#include <dgrid/error.hpp>
#include <dgrid/message.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace dgrid {

/// The largest file `image_from_file` reads: 20 MiB, the per-image limit of
/// the major vision APIs. Base64 makes the request a third larger still.
inline constexpr std::uintmax_t max_image_file_size = 20 * 1024 * 1024;

/// An image part referring to `url` (an `https://` URL, or a data URI made
/// elsewhere). `detail` is "auto", "low" or "high"; absent leaves the
/// gateway's default.
DGRID_DECL image_url_part image_from_url(std::string url, std::optional<std::string> detail = {});

/// An image part carrying `bytes` inline as `data:<mime_type>;base64,...`.
/// `mime_type` is used as given (e.g. "image/png"); `detail` as in `image_from_url`.
DGRID_DECL image_url_part image_from_bytes(std::string_view bytes, std::string_view mime_type,
                                           std::optional<std::string> detail = {});

/// The media type of image `bytes` from their signature: "image/png",
/// "image/jpeg", "image/gif" or "image/webp"; empty when none matches.
DGRID_DECL std::string_view sniff_image_type(std::string_view bytes) noexcept;

/// An image part carrying the contents of the file at `path` inline, as
/// `image_from_bytes` does. The media type comes from the file's signature
/// (`sniff_image_type`), failing that from its extension (`.png`, `.jpg`,
/// `.jpeg`, `.gif`, `.webp`, any case).
///
/// Errors, with an empty part returned: the file cannot be read (the system's
/// error code, e.g. `errc::no_such_file_or_directory`); it is empty, larger
/// than `max_image_file_size`, or of an unknown type (`error::invalid_request`).
DGRID_DECL image_url_part image_from_file(const std::filesystem::path& path, error_code& ec,
                                          std::optional<std::string> detail = {});

} // namespace dgrid

#ifndef DGRID_SEPARATE_COMPILATION
#include <dgrid/impl/image_input.ipp>
#endif

#endif
