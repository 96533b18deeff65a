#ifndef DGRID_DETAIL_BATCH_APPEND_LOG_HPP
#define DGRID_DETAIL_BATCH_APPEND_LOG_HPP

// Internal: a file of records, one per line, that a batch only appends to.
// Each record goes to the file in one write(2), so that the records of a
// process killed at any moment are in the file (the page cache outlives the
// process); fsync makes them durable past a machine's crash too.

#include <dgrid/detail/config.hpp>
#include <dgrid/error.hpp>

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

namespace dgrid::detail {

class append_log {
public:
    append_log() = default;
    append_log(const append_log&) = delete;
    append_log& operator=(const append_log&) = delete;
    DGRID_DECL ~append_log();

    // Opens `path`, made if missing, and calls `on_record` with each
    // complete line already there; a last line without its newline, torn by
    // a stop, is cut off the file. The file is locked (flock) while open: a
    // second run on the same file, which would write records twice, fails
    // with `errc::device_or_resource_busy`.
    DGRID_DECL error_code open(const std::filesystem::path& path,
                               const std::function<void(std::string_view)>& on_record);

    // Appends `record` and a newline.
    DGRID_DECL error_code append(std::string_view record);

    // Makes what was appended durable; nothing when nothing was.
    DGRID_DECL error_code sync();

    // Whether records were appended since the last sync.
    bool dirty() const noexcept { return dirty_; }

private:
    int fd_ = -1;
    bool dirty_ = false;
    std::string line_; // record and newline, for one write
};

} // namespace dgrid::detail

#ifndef DGRID_SEPARATE_COMPILATION
#include <dgrid/detail/batch/append_log.ipp>
#endif

#endif
