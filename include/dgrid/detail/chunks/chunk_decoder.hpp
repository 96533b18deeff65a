#ifndef DGRID_DETAIL_CHUNKS_CHUNK_DECODER_HPP
#define DGRID_DETAIL_CHUNKS_CHUNK_DECODER_HPP

#include <dgrid/chat_chunk.hpp>
#include <dgrid/detail/config.hpp>
#include <dgrid/diagnostics.hpp>
#include <dgrid/error.hpp>

#include <boost/json/value.hpp>

#include <algorithm>
#include <bit>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dgrid::detail {

// Buffers of strings taken out of optionals that became absent. A member that
// comes and goes from chunk to chunk (`content` between reasoning chunks,
// `role`, `finish_reason`, tool-call `id`s) then gets a buffer back instead of
// a new allocation: `std::optional<std::string>::reset()` frees the buffer,
// moving the string out first keeps it.
class string_pool {
public:
    // Empties `s`, keeping its buffer for a later `assign`.
    void put(std::optional<std::string>& s) {
        if (!s)
            return;
        if (spare_.size() < max_spare) {
            if (spare_.capacity() == 0)
                spare_.reserve(max_spare);
            spare_.push_back(std::move(*s));
        }
        s.reset();
    }

    // Makes `s` hold `v`, with a spare buffer when `s` is absent.
    void assign(std::optional<std::string>& s, std::string_view v) {
        if (!s)
            s.emplace(take(v.size()));
        grow(*s, v.size());
        s->assign(v.data(), v.size());
    }

    // Makes `s` present and empty, with a spare buffer when it was absent.
    std::string& engage(std::optional<std::string>& s, std::size_t size_hint) {
        if (!s)
            s.emplace(take(size_hint));
        s->clear();
        return *s;
    }

    std::size_t size() const noexcept { return spare_.size(); }

    // Grows in powers of two (at least 32 bytes), so that pieces of varying
    // length settle on one buffer after a few chunks instead of one more
    // allocation for each new longest piece.
    template <class String>
    static void grow(String& s, std::size_t n) {
        if (s.capacity() < n)
            s.reserve(std::bit_ceil(std::max<std::size_t>(n, 32)));
    }

private:
    // Best fit: the smallest spare that holds `n` bytes, else the largest,
    // so that long buffers stay with long members and capacities settle.
    std::string take(std::size_t n) {
        if (spare_.empty())
            return {};
        std::size_t best = 0;
        for (std::size_t i = 1; i < spare_.size(); ++i) {
            const std::size_t c = spare_[i].capacity();
            const std::size_t b = spare_[best].capacity();
            const bool fits = c >= n;
            const bool best_fits = b >= n;
            if ((fits && (!best_fits || c < b)) || (!fits && !best_fits && c > b))
                best = i;
        }
        std::string s = std::move(spare_[best]);
        if (best + 1 != spare_.size())
            spare_[best] = std::move(spare_.back());
        spare_.pop_back();
        s.clear();
        return s;
    }

    // A chunk has a handful of optional strings per choice; more spares than
    // this would only be memory held for nothing.
    static constexpr std::size_t max_spare = 32;
    std::vector<std::string> spare_;
};

// Reads `v` into `out`, which holds the previous chunk: every member is
// overwritten or emptied, buffers are kept (optional strings through `pool`).
// The JSON mapping of chunks (`from_json`) and `chunk_decoder` share it.
// Defined in impl/json.ipp.
DGRID_DECL error_code read_chunk(const boost::json::value& v, chat_chunk& out, string_pool& pool, diagnostics& diag);

// Decodes the data of one server-sent event into a `chat_chunk`, reusing the
// chunk's memory and its own. The usual chunk is read straight from its text
// by a reader that knows the chunk's shape (chunk_reader); the rest (error chunks, usage,
// logprobs, unusual shapes, every malformed event) is parsed by a parser kept
// across calls into a tree in an arena owned by the decoder (16 KiB, made for
// the first such event, grown to what the largest event needed, up to 1 MiB)
// and read by read_chunk. Either way strings and vectors of `out` are
// overwritten in place, and once warmed up on chunks of the same shape,
// `decode` makes no heap allocation. Members that become absent keep their
// buffers in a pool for the next chunk that has them. What does allocate:
// unknown members the first time they appear (later same-typed scalar and
// string values reuse theirs), non-null `logprobs`, a non-null `usage`, and
// events larger than the retained arena (their extra memory is freed after
// the call).
//
// Not thread-safe; one decoder per stream.
class chunk_decoder {
public:
    DGRID_DECL chunk_decoder();
    DGRID_DECL ~chunk_decoder();
    DGRID_DECL chunk_decoder(chunk_decoder&&) noexcept;
    DGRID_DECL chunk_decoder& operator=(chunk_decoder&&) noexcept;

    // Decodes `data` (one event's data, a JSON object) into `out`, as
    // `parse_json` would, but reusing `out`; and then, as one stream's events
    // need, joins a UTF-16 surrogate pair split across events in their free
    // text (surrogate_mender), so that each chunk's text is valid UTF-8.
    // Errors: `error::invalid_json`
    // when `data` is not JSON (or nests deeper than 64 levels),
    // `error::malformed_response` with the path in `diag.message` for a
    // member of the wrong type, `error::stream_error` for a chunk with a
    // top-level `error` (docs/wire.md, "Error objects inside a stream") with
    // what it said in `diag`. After an error `out` holds a partly decoded
    // chunk; the decoder stays usable.
    // `out` may be any chunk; when it is the one the previous call decoded
    // into, it must be as that call left it (the members an event repeats
    // from the previous one's start are then not read again).
    DGRID_DECL error_code decode(std::string_view data, chat_chunk& out, diagnostics& diag);

    // A new attempt of the stream starts over: nothing waits from the events
    // of the one before.
    DGRID_DECL void restart();

    // At the end of the stream: a chunk of U+FFFD for each high surrogate
    // that waited in vain for its other half, to be merged into the
    // completion. False when there is none.
    DGRID_DECL bool flush_lone_surrogates(chat_chunk& out);

    // Bytes of the arena kept between calls (for tests and tuning).
    DGRID_DECL std::size_t arena_size() const noexcept;

    // Events that were read through a JSON tree rather than the parser's
    // events (for tests and tuning).
    DGRID_DECL std::size_t tree_reads() const noexcept;

    // Spare string buffers kept for members that come back (for tests).
    DGRID_DECL std::size_t pooled_strings() const noexcept;

private:
    struct state;
    std::unique_ptr<state> state_;
};

} // namespace dgrid::detail

#ifndef DGRID_SEPARATE_COMPILATION
#include <dgrid/detail/chunks/chunk_decoder.ipp>
#endif

#endif
