// The sans-io part of the library, compiled with the fuzzers' instrumentation
// and sanitizers (the dgrid library target is not: it is built without them
// and also holds the network stack).
#ifndef DGRID_SEPARATE_COMPILATION
#error "fuzz_support.cpp is compiled with DGRID_SEPARATE_COMPILATION"
#endif

#include <dgrid/detail/chunks/chunk_decoder.ipp>
#include <dgrid/detail/json/lone_surrogates.ipp>
#include <dgrid/detail/sse/sse_parser.ipp>
#include <dgrid/impl/base64.ipp>
#include <dgrid/impl/chat_accumulator.ipp>
#include <dgrid/impl/error.ipp>
#include <dgrid/impl/error_with_diagnostics.ipp>
#include <dgrid/impl/image.ipp>
#include <dgrid/impl/json.ipp>
