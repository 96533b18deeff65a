#ifndef DGRID_DETAIL_BATCH_LINE_READER_HPP
#define DGRID_DETAIL_BATCH_LINE_READER_HPP

// Internal: the lines of a file, read in blocks as they are needed, so that
// memory is bounded by the longest line kept, not by the file.

#include <dgrid/detail/config.hpp>
#include <dgrid/error.hpp>

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace dgrid::detail {

class line_reader {
public:
    line_reader() = default;
    line_reader(const line_reader&) = delete;
    line_reader& operator=(const line_reader&) = delete;
    DGRID_DECL ~line_reader();

    DGRID_DECL error_code open(const std::filesystem::path& path);

    // What `next` found.
    enum class result {
        line,     // `line` holds it, without its newline
        too_long, // longer than `max_size`: skipped to its end
        torn,     // the file ends with a line without a newline: `line` holds it
        end,
    };

    // The lines of the whole file (a last one without a newline included),
    // counted without moving the reading position; none when the file is not
    // a regular one (a pipe can be read once only) or cannot be read.
    DGRID_DECL std::optional<std::size_t> count_lines() const;

    // The next line; `ec` set on a read error (then `end`).
    DGRID_DECL result next(std::string_view& line, std::size_t max_size, error_code& ec);

private:
    bool fill(error_code& ec);

    int fd_ = -1;
    std::string buffer_;
    std::size_t begin_ = 0; // of the unread bytes in buffer_
    bool eof_ = false;
};

} // namespace dgrid::detail

#ifndef DGRID_SEPARATE_COMPILATION
#include <dgrid/detail/batch/line_reader.ipp>
#endif

#endif
