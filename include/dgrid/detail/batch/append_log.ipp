#ifndef DGRID_DETAIL_BATCH_APPEND_LOG_IPP
#define DGRID_DETAIL_BATCH_APPEND_LOG_IPP

#include <dgrid/detail/batch/append_log.hpp>
#include <dgrid/detail/batch/line_reader.hpp>

#include <cerrno>
#include <limits>
#include <system_error>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace dgrid::detail {

namespace append_logging {
inline error_code last_error() noexcept { return {errno, boost::system::generic_category()}; }
} // namespace append_logging

DGRID_DECL append_log::~append_log() {
    if (fd_ >= 0) {
        sync();
        ::close(fd_);
    }
}

DGRID_DECL error_code append_log::open(const std::filesystem::path& path,
                                       const std::function<void(std::string_view)>& on_record) {
    using append_logging::last_error;
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ < 0)
        return last_error();
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK)
            return make_error_code(boost::system::errc::device_or_resource_busy);
        return last_error();
    }
    line_reader lines;
    if (error_code ec = lines.open(path))
        return ec;
    off_t complete = 0; // bytes of the complete lines
    for (;;) {
        std::string_view line;
        error_code ec;
        const auto r = lines.next(line, std::numeric_limits<std::size_t>::max(), ec);
        if (ec)
            return ec;
        if (r == line_reader::result::end)
            break;
        if (r == line_reader::result::torn) {
            if (::ftruncate(fd_, complete) != 0)
                return last_error();
            dirty_ = true;
            break;
        }
        complete += static_cast<off_t>(line.size()) + 1;
        if (!line.empty())
            on_record(line);
    }
    return {};
}

DGRID_DECL error_code append_log::flush() {
    std::string_view rest = pending_;
    while (!rest.empty()) {
        const ssize_t n = ::write(fd_, rest.data(), rest.size());
        if (n < 0) {
            if (errno == EINTR)
                continue;
            pending_.erase(0, pending_.size() - rest.size());
            return append_logging::last_error();
        }
        rest.remove_prefix(static_cast<std::size_t>(n));
        dirty_ = true;
    }
    pending_.clear();
    return {};
}

DGRID_DECL error_code append_log::sync() {
    if (error_code ec = flush())
        return ec;
    if (!dirty_ || fd_ < 0)
        return {};
    if (::fsync(fd_) != 0)
        return append_logging::last_error();
    dirty_ = false;
    return {};
}

} // namespace dgrid::detail

#endif
