#ifndef DGRID_DETAIL_CHUNKS_CHUNK_DECODER_IPP
#define DGRID_DETAIL_CHUNKS_CHUNK_DECODER_IPP

#include <dgrid/detail/chunks/chunk_decoder.hpp>
#include <dgrid/detail/chunks/chunk_reader.hpp>
#include <dgrid/detail/chunks/chunk_reader.ipp> // compiled with the decoder, its only user
#include <dgrid/detail/chunks/surrogate_mender.hpp>
#include <dgrid/detail/chunks/surrogate_mender.ipp> // compiled with the decoder, its only user
#include <dgrid/detail/json/lone_surrogates.hpp>
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

// An event with a multi-megabyte image (docs/wire.md, "Events of several
// megabytes") must not pin that much memory for the rest of the stream: the
// arena grows to at most this, and after a larger event the parser is rebuilt
// to free its stack.
inline constexpr std::size_t max_retained_size = 1024 * 1024;

// The tree parser's own stack starts in this buffer inside the tree reader.
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

// What reads an event through a tree: made for the first event that needs
// it, which most streams never send. The tree is built in an arena over
// `buffer`.
struct tree_reader {
    tree_reader() {
        make_arena(initial_arena_size);
        make_parser();
    }

    void make_arena(std::size_t size) {
        arena.reset();
        buffer.reset(new unsigned char[size]);
        buffer_size = size;
        arena.emplace(buffer.get(), buffer_size, boost::json::storage_ptr(&upstream));
    }

    void make_parser() {
        parser.emplace(boost::json::storage_ptr(), parse_options(), parser_buffer, sizeof(parser_buffer));
    }

    error_code read(std::string_view data, chat_chunk& out, string_pool& pool, diagnostics& diag) {
        parser->reset(boost::json::storage_ptr(&*arena));
        error_code ec;
        parser->write(data.data(), data.size(), ec);
        reparsed = static_cast<bool>(ec);
        // The tree lives in the arena; read_chunk copies what it keeps into
        // out's (the default) memory. Text with lone surrogates (rare) parses
        // once they are rewritten.
        const boost::json::value v = ec ? reparse_lone_surrogates(data, boost::json::storage_ptr(&*arena),
                                                                  lone_surrogate_rule::keep_in_chunk_free_text, ec)
                                        : parser->release();
        error_code result;
        if (ec) {
            diag.message = "invalid JSON: " + ec.message();
            result = error::invalid_json;
        } else {
            result = read_chunk(v, out, pool, diag);
        }
        recycle(data.size());
        return result;
    }

    // After a tree: forget it, and give the arena what the call needed beyond
    // its buffer (up to the retained maximum) so that the next event of that
    // size fits without allocating.
    void recycle(std::size_t event_size) {
        parser->reset(); // drops any partial tree before its memory goes
        arena->release();
        if (upstream.allocated != 0 && buffer_size < max_retained_size) {
            const std::size_t wanted = round_up_pow2(buffer_size + upstream.allocated);
            if (wanted > buffer_size)
                make_arena(wanted);
        }
        upstream.allocated = 0;
        if (event_size > max_retained_size)
            make_parser();
    }

    counting_resource upstream;
    std::unique_ptr<unsigned char[]> buffer;
    std::size_t buffer_size = 0;
    std::optional<boost::json::monotonic_resource> arena; // over `buffer`
    unsigned char parser_buffer[parser_buffer_size];
    std::optional<boost::json::parser> parser;
    bool reparsed = false; // the last event was read rewritten (lone surrogates)
};

} // namespace chunk_decoding

struct chunk_decoder::state {
    error_code read_tree(std::string_view data, chat_chunk& out, diagnostics& diag) {
        ++tree_reads;
        if (!tree)
            tree = std::make_unique<chunk_decoding::tree_reader>();
        return tree->read(data, out, pool, diag);
    }

    // Joins surrogate pairs split across events, in the chunk just decoded.
    void mend(chat_chunk& out, bool kept_lone_surrogate) {
        if ((kept_lone_surrogate || mender.waiting()) && mender.mend(out))
            reader.forget_previous();
    }

    chunk_reader reader;
    std::unique_ptr<chunk_decoding::tree_reader> tree;
    string_pool pool;
    surrogate_mender mender;
    std::size_t tree_reads = 0;
};

DGRID_DECL chunk_decoder::chunk_decoder() : state_(std::make_unique<state>()) {}
DGRID_DECL chunk_decoder::~chunk_decoder() = default;
DGRID_DECL chunk_decoder::chunk_decoder(chunk_decoder&&) noexcept = default;
DGRID_DECL chunk_decoder& chunk_decoder::operator=(chunk_decoder&&) noexcept = default;

DGRID_DECL std::size_t chunk_decoder::arena_size() const noexcept {
    return state_ && state_->tree ? state_->tree->buffer_size : 0;
}

DGRID_DECL std::size_t chunk_decoder::tree_reads() const noexcept { return state_ ? state_->tree_reads : 0; }

DGRID_DECL std::size_t chunk_decoder::pooled_strings() const noexcept { return state_ ? state_->pool.size() : 0; }

DGRID_DECL error_code chunk_decoder::decode(std::string_view data, chat_chunk& out, diagnostics& diag) {
    if (!state_) // moved from
        state_ = std::make_unique<state>();
    if (state_->reader.read(data, out, state_->pool)) {
        state_->mend(out, state_->reader.kept_lone_surrogate());
        return {};
    }
    const error_code ec = state_->read_tree(data, out, diag);
    if (!ec || ec == error::stream_error)
        state_->mend(out, state_->tree->reparsed);
    return ec;
}

DGRID_DECL void chunk_decoder::restart() {
    if (!state_)
        return;
    state_->mender = surrogate_mender();
    state_->reader.forget_previous();
}

DGRID_DECL bool chunk_decoder::flush_lone_surrogates(chat_chunk& out) { return state_ && state_->mender.flush(out); }

} // namespace dgrid::detail

#endif
