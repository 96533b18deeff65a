// The light half of the compiled library: errors, the JSON mapping, URLs,
// and the sans-io stream decoding.
#include <dgrid/detail/chunks/chunk_decoder.ipp>
#include <dgrid/detail/engine/retry_rules.ipp>
#include <dgrid/detail/http/proxy_config.ipp>
#include <dgrid/detail/json/lone_surrogates.ipp>
#include <dgrid/detail/sse/sse_parser.ipp>
#include <dgrid/impl/base64.ipp>
#include <dgrid/impl/base_url.ipp>
#include <dgrid/impl/chat_accumulator.ipp>
#include <dgrid/impl/error.ipp>
#include <dgrid/impl/error_with_diagnostics.ipp>
#include <dgrid/impl/gemini_contents.ipp>
#include <dgrid/impl/image.ipp>
#include <dgrid/impl/image_input.ipp>
#include <dgrid/impl/json.ipp>
#include <dgrid/impl/observer.ipp>
