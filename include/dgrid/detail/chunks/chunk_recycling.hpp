#ifndef DGRID_DETAIL_CHUNKS_CHUNK_RECYCLING_HPP
#define DGRID_DETAIL_CHUNKS_CHUNK_RECYCLING_HPP

// Internal: emptying the members of a chunk while keeping their buffers, for
// the next event's chunk to reuse.

#include <dgrid/chat_chunk.hpp>
#include <dgrid/detail/chunks/chunk_decoder.hpp>

namespace dgrid::detail {

// Absent optional strings go to the pool; vectors keep their capacity.

inline void recycle(string_pool& pool, tool_call_delta& d) {
    d.index = 0;
    pool.put(d.id);
    pool.put(d.type);
    pool.put(d.name);
    pool.put(d.arguments);
    d.extra.clear();
}

// Emptied elements: nothing freed but the vector keeps its capacity.
inline void recycle_tool_calls(string_pool& pool, std::vector<tool_call_delta>& calls, std::size_t from = 0) {
    for (std::size_t i = from; i < calls.size(); ++i)
        recycle(pool, calls[i]);
    calls.resize(from);
}

inline void recycle(string_pool& pool, chunk_delta& d) {
    pool.put(d.role);
    pool.put(d.content);
    pool.put(d.reasoning_content);
    pool.put(d.refusal);
    recycle_tool_calls(pool, d.tool_calls);
    d.extra.clear();
}

inline void recycle(string_pool& pool, chunk_choice& c) {
    c.index = 0;
    recycle(pool, c.delta);
    pool.put(c.finish_reason);
    c.logprobs = nullptr;
    c.extra.clear();
}

inline void recycle_choices(string_pool& pool, std::vector<chunk_choice>& choices, std::size_t from = 0) {
    for (std::size_t i = from; i < choices.size(); ++i)
        recycle(pool, choices[i]);
    choices.resize(from);
}

// Elements stay: a choice keeps its tool_calls vector's capacity. `extra` is
// updated in place by the chunk readers.
inline void recycle(string_pool& pool, chat_chunk& c) {
    c.id.clear();
    c.object.clear();
    c.created.reset();
    c.model.clear();
    for (chunk_choice& choice : c.choices)
        recycle(pool, choice);
    c.usage.reset();
    pool.put(c.system_fingerprint);
}

} // namespace dgrid::detail

#endif
