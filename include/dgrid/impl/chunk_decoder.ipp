#ifndef DGRID_IMPL_CHUNK_DECODER_IPP
#define DGRID_IMPL_CHUNK_DECODER_IPP

#include <dgrid/detail/chunk_decoder.hpp>
#include <dgrid/json.hpp>

#include <boost/json/memory_resource.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse_options.hpp>
#include <boost/json/parser.hpp>
#include <boost/json/storage_ptr.hpp>

#include <cstddef>
#include <memory>
#include <optional>

namespace dgrid::detail {

namespace chunk_decoding {

// The arena's upstream: hands out the default resource's memory and counts
// it, so that the decoder learns how much its buffer lacked.
class counting_resource final : public boost::json::memory_resource {
public:
    std::size_t allocated = 0;

private:
    void* do_allocate(std::size_t n, std::size_t align) override {
        allocated += n;
        return upstream_->allocate(n, align);
    }

    void do_deallocate(void* p, std::size_t n, std::size_t align) override { upstream_->deallocate(p, n, align); }

    bool do_is_equal(const boost::json::memory_resource& other) const noexcept override { return this == &other; }

    boost::json::storage_ptr upstream_; // the default resource
};

// Chunks are a few hundred bytes of JSON, a tree of a few KiB.
inline constexpr std::size_t initial_arena_size = 16 * 1024;

// An event with a multi-megabyte image (WIRE.md quirk 10) must not pin that
// much memory for the rest of the stream: the arena grows to at most this,
// and after a larger event the parser is rebuilt to free its stack.
inline constexpr std::size_t max_retained_size = 1024 * 1024;

// The parser's own stack starts in this buffer inside the state.
inline constexpr std::size_t parser_buffer_size = 1024;

inline std::size_t round_up_pow2(std::size_t n) noexcept {
    std::size_t p = initial_arena_size;
    while (p < n && p < max_retained_size)
        p *= 2;
    return p;
}

inline boost::json::parse_options parse_options() noexcept {
    boost::json::parse_options options;
    options.max_depth = max_json_depth;
    return options;
}

} // namespace chunk_decoding

struct chunk_decoder::state {
    state()
        : buffer(new unsigned char[chunk_decoding::initial_arena_size]),
          buffer_size(chunk_decoding::initial_arena_size) {
        arena.emplace(buffer.get(), buffer_size, boost::json::storage_ptr(&upstream));
        make_parser();
    }

    void make_parser() {
        parser.emplace(boost::json::storage_ptr(), chunk_decoding::parse_options(), parser_buffer,
                       sizeof(parser_buffer));
    }

    // After a call: forget the tree, and give the arena what the call needed
    // beyond its buffer (up to the retained maximum) so that the next event of
    // that size fits without allocating.
    void recycle(std::size_t event_size) {
        parser->reset(); // drops any partial tree before its memory goes
        arena->release();
        if (upstream.allocated != 0 && buffer_size < chunk_decoding::max_retained_size) {
            const std::size_t wanted = chunk_decoding::round_up_pow2(buffer_size + upstream.allocated);
            if (wanted > buffer_size) {
                arena.reset();
                buffer.reset(new unsigned char[wanted]);
                buffer_size = wanted;
                arena.emplace(buffer.get(), buffer_size, boost::json::storage_ptr(&upstream));
            }
        }
        upstream.allocated = 0;
        if (event_size > chunk_decoding::max_retained_size)
            make_parser();
    }

    chunk_decoding::counting_resource upstream;
    std::unique_ptr<unsigned char[]> buffer;
    std::size_t buffer_size;
    std::optional<boost::json::monotonic_resource> arena; // over `buffer`
    unsigned char parser_buffer[chunk_decoding::parser_buffer_size];
    std::optional<boost::json::parser> parser;
    string_pool pool;
};

DGRID_DECL chunk_decoder::chunk_decoder() : state_(std::make_unique<state>()) {}
DGRID_DECL chunk_decoder::~chunk_decoder() = default;
DGRID_DECL chunk_decoder::chunk_decoder(chunk_decoder&&) noexcept = default;
DGRID_DECL chunk_decoder& chunk_decoder::operator=(chunk_decoder&&) noexcept = default;

DGRID_DECL std::size_t chunk_decoder::arena_size() const noexcept {
    return state_ ? state_->buffer_size : 0;
}

DGRID_DECL error_code chunk_decoder::decode(std::string_view data, chat_chunk& out, diagnostics& diag) {
    if (!state_) // moved from
        state_ = std::make_unique<state>();
    state& s = *state_;
    s.parser->reset(boost::json::storage_ptr(&*s.arena));
    boost::system::error_code ec;
    s.parser->write(data.data(), data.size(), ec);
    error_code result;
    if (ec) {
        diag.message = "invalid JSON: " + ec.message();
        result = error::invalid_json;
    } else {
        // The tree lives in the arena; read_chunk copies what it keeps into
        // out's (the default) memory.
        const boost::json::value v = s.parser->release();
        result = read_chunk(v, out, s.pool, diag);
    }
    s.recycle(data.size());
    return result;
}

} // namespace dgrid::detail

#endif
