// The heavy half of the compiled library: the network stack (Asio, Beast,
// OpenSSL), instantiated once here instead of in every user's translation unit.
#include <dgrid/detail/engine/operation_fsm.ipp>
#include <dgrid/detail/http/response_metadata.ipp>
#include <dgrid/impl/chat_stream.ipp>
#include <dgrid/impl/client.ipp>
