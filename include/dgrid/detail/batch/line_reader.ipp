#ifndef DGRID_DETAIL_BATCH_LINE_READER_IPP
#define DGRID_DETAIL_BATCH_LINE_READER_IPP

#include <dgrid/detail/batch/line_reader.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace dgrid::detail {

namespace line_reading {
inline constexpr std::size_t block_size = 64 * 1024;
} // namespace line_reading

DGRID_DECL line_reader::~line_reader() {
    if (fd_ >= 0)
        ::close(fd_);
}

DGRID_DECL error_code line_reader::open(const std::filesystem::path& path) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0)
        return {errno, boost::system::generic_category()};
    return {};
}

DGRID_DECL std::optional<std::size_t> line_reader::count_lines() const {
    struct stat st {};
    if (fd_ < 0 || ::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode))
        return std::nullopt;
    std::vector<char> block(line_reading::block_size);
    std::size_t lines = 0;
    char last = '\n';
    for (off_t offset = 0;;) {
        const ssize_t n = ::pread(fd_, block.data(), block.size(), offset);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return std::nullopt;
        if (n == 0)
            break;
        lines += static_cast<std::size_t>(std::count(block.data(), block.data() + n, '\n'));
        last = block[static_cast<std::size_t>(n) - 1];
        offset += n;
    }
    return last == '\n' ? lines : lines + 1;
}

// Reads a block after the unread bytes; false at the end of the file.
DGRID_DECL bool line_reader::fill(error_code& ec) {
    if (eof_)
        return false;
    if (begin_ > 0) {
        buffer_.erase(0, begin_);
        begin_ = 0;
    }
    const std::size_t old = buffer_.size();
    buffer_.resize(old + line_reading::block_size);
    ssize_t n = 0;
    do
        n = ::read(fd_, buffer_.data() + old, line_reading::block_size);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        ec.assign(errno, boost::system::generic_category());
        buffer_.resize(old);
        eof_ = true;
        return false;
    }
    buffer_.resize(old + static_cast<std::size_t>(n));
    eof_ = n == 0;
    return n > 0;
}

DGRID_DECL line_reader::result line_reader::next(std::string_view& line, std::size_t max_size, error_code& ec) {
    bool skipping = false; // a line too long, to its end
    std::size_t scanned = 0;
    for (;;) {
        const std::string_view unread(buffer_.data() + begin_, buffer_.size() - begin_);
        const std::size_t newline = unread.find('\n', scanned);
        if (newline != std::string_view::npos) {
            line = unread.substr(0, newline);
            begin_ += newline + 1;
            if (skipping || line.size() > max_size)
                return result::too_long;
            return result::line;
        }
        if (unread.size() > max_size) {
            // Drop what is read of it, and go on to its end.
            skipping = true;
            begin_ = buffer_.size();
            scanned = 0;
        } else {
            scanned = unread.size();
        }
        if (!fill(ec)) {
            if (ec)
                return result::end;
            const std::string_view rest(buffer_.data() + begin_, buffer_.size() - begin_);
            begin_ = buffer_.size();
            if (skipping)
                return result::too_long;
            if (rest.empty())
                return result::end;
            line = rest;
            return result::torn;
        }
    }
}

} // namespace dgrid::detail

#endif
