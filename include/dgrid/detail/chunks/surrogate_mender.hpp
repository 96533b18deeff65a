#ifndef DGRID_DETAIL_CHUNKS_SURROGATE_MENDER_HPP
#define DGRID_DETAIL_CHUNKS_SURROGATE_MENDER_HPP

// Internal: joins the halves of UTF-16 surrogate pairs that a server split
// across the chunks of a stream (detail/json/lone_surrogates.hpp), so that every
// chunk's text is valid UTF-8 and the chunks' texts concatenate to the
// character that was split.

#include <dgrid/chat_chunk.hpp>
#include <dgrid/detail/config.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dgrid::detail {

// One per stream, fed every chunk in order.
class surrogate_mender {
public:
    // Whether a high surrogate waits for its other half: `mend` must then see
    // every chunk, not only those with lone surrogates.
    bool waiting() const noexcept { return !waiting_.empty(); }

    // Mends the free text of `chunk` (each delta's `content` and
    // `reasoning_content`, each tool call's `arguments`), decoded with lone
    // surrogates kept in their three-byte form:
    // - a text ending with a high surrogate gives it up, to wait for the next
    //   text of the same member (same choice, same tool call);
    // - that next text gets the whole character when it starts with the low
    //   half, else U+FFFD before it;
    // - a choice that finishes (`finish_reason`) gets U+FFFD in its delta for
    //   each half still waiting in it;
    // - any other lone surrogate becomes U+FFFD.
    // Returns whether `chunk` changed.
    DGRID_DECL bool mend(chat_chunk& chunk);

    // At the end of a stream: fills `out` with a chunk of U+FFFD for each high
    // surrogate still waiting, and stops waiting. False when none waits.
    DGRID_DECL bool flush(chat_chunk& out);

private:
    enum class member : std::uint8_t { content, reasoning, arguments };

    struct half {
        std::int64_t choice = 0;
        member m = member::content;
        std::int64_t call = 0; // the tool call's index, for `arguments`
        std::uint32_t high = 0;
    };

    bool mend_text(std::optional<std::string>& text, std::int64_t choice, member m, std::int64_t call);
    bool finish_choice(chunk_choice& choice);
    static void put_replacement(chunk_delta& delta, const half& h);

    std::vector<half> waiting_;
};

} // namespace dgrid::detail

#ifndef DGRID_SEPARATE_COMPILATION
#include <dgrid/detail/chunks/surrogate_mender.ipp>
#endif

#endif
