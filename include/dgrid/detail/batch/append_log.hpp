#ifndef DGRID_DETAIL_BATCH_APPEND_LOG_HPP
#define DGRID_DETAIL_BATCH_APPEND_LOG_HPP

// Internal: a file of records, one per line, that a batch only appends to.
// Records are kept until `flush`, which writes all of them in one write(2):
// the runner flushes as soon as the answers that arrived together are
// recorded, so that a process killed at any moment loses at most those (the
// page cache outlives the process, and a lost record's request is made again
// by the next run); fsync makes them durable past a machine's crash too.

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

    // Keeps `record` and a newline for the next flush.
    void append(std::string_view record) {
        pending_ += record;
        pending_.push_back('\n');
    }

    // Writes the records kept, in one write(2) unless the kernel takes part.
    DGRID_DECL error_code flush();

    // Flushes, and makes what was written durable; nothing when nothing was.
    DGRID_DECL error_code sync();

    // Whether records were appended since the last sync.
    bool dirty() const noexcept { return dirty_ || !pending_.empty(); }

private:
    int fd_ = -1;
    bool dirty_ = false;  // written, not synced
    std::string pending_; // records not written yet
};

} // namespace dgrid::detail

#ifndef DGRID_SEPARATE_COMPILATION
#include <dgrid/detail/batch/append_log.ipp>
#endif

#endif
