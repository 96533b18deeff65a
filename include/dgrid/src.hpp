#ifndef DGRID_SRC_HPP
#define DGRID_SRC_HPP

// Include in exactly one translation unit of a program that defines
// DGRID_SEPARATE_COMPILATION everywhere but does not link dgrid::dgrid.
#ifndef DGRID_SEPARATE_COMPILATION
#error "src.hpp is for DGRID_SEPARATE_COMPILATION builds"
#endif

#include <dgrid/detail/batch/append_log.ipp>
#include <dgrid/detail/batch/batch_records.ipp>
#include <dgrid/detail/batch/input_line.ipp>
#include <dgrid/detail/batch/line_reader.ipp>
#include <dgrid/detail/chunks/chunk_decoder.ipp>
#include <dgrid/detail/engine/operation_fsm.ipp>
#include <dgrid/detail/engine/retry_rules.ipp>
#include <dgrid/detail/http/proxy_config.ipp>
#include <dgrid/detail/http/response_metadata.ipp>
#include <dgrid/detail/json/lone_surrogates.ipp>
#include <dgrid/detail/sse/sse_parser.ipp>
#include <dgrid/impl/base64.ipp>
#include <dgrid/impl/base_url.ipp>
#include <dgrid/impl/batch.ipp>
#include <dgrid/impl/chat_accumulator.ipp>
#include <dgrid/impl/chat_stream.ipp>
#include <dgrid/impl/client.ipp>
#include <dgrid/impl/error.ipp>
#include <dgrid/impl/error_with_diagnostics.ipp>
#include <dgrid/impl/gemini_contents.ipp>
#include <dgrid/impl/image.ipp>
#include <dgrid/impl/image_input.ipp>
#include <dgrid/impl/json.ipp>
#include <dgrid/impl/observer.ipp>

#endif
