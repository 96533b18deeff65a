#ifndef DGRID_DGRID_HPP
#define DGRID_DGRID_HPP

// Everything a user of the library needs, but for async_run_tools
// (<dgrid/run_tools.hpp>), which brings in co_spawn and parallel groups.
#include <dgrid/base64.hpp>
#include <dgrid/chat_accumulator.hpp>
#include <dgrid/chat_chunk.hpp>
#include <dgrid/chat_completion.hpp>
#include <dgrid/chat_request.hpp>
#include <dgrid/chat_stream.hpp>
#include <dgrid/client.hpp>
#include <dgrid/client_options.hpp>
#include <dgrid/diagnostics.hpp>
#include <dgrid/error.hpp>
#include <dgrid/error_with_diagnostics.hpp>
#include <dgrid/gemini_contents.hpp>
#include <dgrid/http_header.hpp>
#include <dgrid/image.hpp>
#include <dgrid/image_input.hpp>
#include <dgrid/json.hpp>
#include <dgrid/json_annotations.hpp>
#include <dgrid/json_schema.hpp>
#include <dgrid/message.hpp>
#include <dgrid/model_list.hpp>
#include <dgrid/observer.hpp>
#include <dgrid/pool_params.hpp>
#include <dgrid/pool_stats.hpp>
#include <dgrid/request_options.hpp>
#include <dgrid/response_format.hpp>
#include <dgrid/response_info.hpp>
#include <dgrid/version.hpp>
#include <dgrid/with_diagnostics.hpp>

#endif
